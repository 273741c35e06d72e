// Break it for token exchange (RFC 8693): the client app, as an API holding
// alice's token, asks for a token it must not get.

import { TOKEN_EXCHANGE_GRANT } from '../../shared/enumerations.js'
import { basicAuthorization, buildTokenRequest } from '../oauth-client.js'
import type { AgentResponse } from './agent.js'
import { accessTokenOf, type Attack, type AttackContext } from './attack.js'
import { authorizationCode } from './play-authorization.js'
import { exchangeForm } from '../walks/token-exchange/exchange-form.js'
import { MCP_PATH } from '../../shared/builtin-data.js'

async function aliceToken(ctx: AttackContext): Promise<string> {
  const authorization = await authorizationCode(ctx)
  const redeemed = await ctx.agent.backChannel('Step 5: redeem the code', buildTokenRequest(ctx.config, authorization))
  return accessTokenOf(redeemed, 'Redeeming the code')
}

function exchange(ctx: AttackContext, label: string, form: Record<string, string>): Promise<AgentResponse> {
  const { config } = ctx
  return ctx.agent.backChannel(label, {
    method: 'POST',
    url: `${config.auth.internalUrl}/token`,
    headers: {
      Authorization: basicAuthorization(config.client.clientId, config.client.clientSecret),
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  })
}

export const tokenExchangeAudienceNotAllowed: Attack = {
  name: 'token-exchange-audience-not-allowed',
  title: 'Token exchange for an audience the policy does not allow',
  tried:
    'The client app holds alice\u2019s access token and asks the token endpoint to exchange it for a token for the built-in resource server, an audience its token exchange policy (tokenExchange.audiences) does not list: only the MCP server is.',
  why: `The authorization server decides which targets a client may exchange tokens for; asked for one it is unwilling to issue a token for, it answers 400 invalid_target (RFC 8693 section 2.2.2). A client that may call the MCP server (${MCP_PATH}) on alice\u2019s behalf cannot mint tokens for every other API with her token.`,
  answeredBy: 'authorization server',
  async run(ctx) {
    const token = await aliceToken(ctx)
    return exchange(
      ctx,
      'Attack: exchange alice\u2019s token for an audience not in the policy',
      exchangeForm(token, ctx.config.resource.publicUrl),
    )
  },
}

export const tokenExchangeNotAToken: Attack = {
  name: 'token-exchange-not-a-token',
  title: 'Token exchange with a subject token that is not a token',
  tried: `The client app sends grant_type=${TOKEN_EXCHANGE_GRANT} with subject_token=not-a-token, claiming it is an access token, for the MCP server it is allowed to ask for.`,
  why: 'The authorization server checks the subject token as introspection would (signature, expiry, revocation, one of its own access tokens) before it issues anything; a subject token that is not a valid token is refused with 400 invalid_request (RFC 8693 section 2.2.2). Nothing can be exchanged that the server did not issue.',
  answeredBy: 'authorization server',
  async run(ctx) {
    return exchange(
      ctx,
      'Attack: exchange a subject token that is not a token',
      exchangeForm('not-a-token', `${ctx.config.resource.publicUrl}${MCP_PATH}`),
    )
  },
}
