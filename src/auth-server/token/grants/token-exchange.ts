// Token exchange (RFC 8693): an API that holds a user's access token (the
// subject token) asks for a token for another resource server it calls on the
// user's behalf. With an actor token (the API's own token) the new token says
// who acts for the user (`act`, delegation); without one it simply stands for
// the user (impersonation). The checks live in token-exchange-request.ts.

import { TOKEN_EXCHANGE_GRANT } from '../../../shared/enumerations.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import type { AuthServerContext } from '../../context.js'
import { mintAccessToken, planAccessToken } from '../../tokens/access-token.js'
import type { GrantModule, TokenRequestBody, TokenResponse } from '../grant-types.js'
import { ACCESS_TOKEN_TYPE, actClaim, readExchangeRequest } from './token-exchange-request.js'

export const tokenExchange: GrantModule<typeof TOKEN_EXCHANGE_GRANT> = {
  grantType: TOKEN_EXCHANGE_GRANT,
  // RFC 8693 §2.1.
  parameters: new Set([
    'subject_token',
    'subject_token_type',
    'actor_token',
    'actor_token_type',
    'resource',
    'audience',
    'scope',
    'requested_token_type',
  ]),
  handler: tokenExchangeGrant,
}

export async function tokenExchangeGrant(
  ctx: AuthServerContext,
  client: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<TokenResponse> {
  const exchange = await readExchangeRequest(ctx, client, body)
  const plan = planAccessToken(ctx.now(), ctx.config.auth.accessTokenTtlSeconds)
  const act = actClaim(exchange.subject, exchange.actor)
  // RFC 8693 §2.2.1: an access token of the lab, for the target; the subject's
  // sub, the requesting client's client_id; no refresh token.
  const accessToken = await mintAccessToken(
    ctx,
    plan,
    {
      issuer: ctx.config.auth.publicUrl,
      audience: exchange.audience,
      sub: exchange.subject.sub,
      clientId: client.client.clientId,
      scopes: exchange.scopes,
      ...(act === undefined ? {} : { extra: { act } }),
      // RFC 9449 §5: a DPoP proof with the request binds the new token too.
      ...(ctx.tokenBinding ? { jkt: ctx.tokenBinding.jkt } : {}),
    },
    TOKEN_EXCHANGE_GRANT,
  )
  return {
    access_token: accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: ctx.tokenBinding ? 'DPoP' : 'Bearer',
    expires_in: plan.expiresIn,
    scope: exchange.scopes.join(' '),
  }
}
