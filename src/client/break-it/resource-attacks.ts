// Break it at step 7: a token that must not open the resource, sent exactly as
// the client sends step 7 (buildResourceRequest).

import { buildResourceRequest, buildTokenRequest } from '../oauth-client.js'
import type { AgentResponse } from './agent.js'
import { accessTokenOf, AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { authorizationCode } from './play-authorization.js'

function callResource(ctx: AttackContext, label: string, accessToken: string): Promise<AgentResponse> {
  return ctx.agent.backChannel(label, buildResourceRequest(ctx.config, accessToken))
}

export const expiredToken: Attack = {
  name: 'expired-token',
  title: 'Expired token',
  tried:
    'A token for alice that expired a minute ago (minted with the lab-only POST /_lab/tokens, expires_in -60) is sent to the resource server.',
  why: 'Every access token carries an exp claim, and the resource server refuses a token past it with 401 invalid_token (RFC 9068 section 4, RFC 6750 section 3.1). Short lifetimes limit what a leaked token is worth.',
  answeredBy: 'resource server',
  async run(ctx) {
    const { config } = ctx
    const minted = await ctx.agent.backChannel('Lab: mint a token that expired 60 seconds ago', {
      method: 'POST',
      url: `${config.auth.internalUrl}/_lab/tokens`,
      // The lab key, sent server-side only: the result page lists URLs, never
      // headers, and the recorders mask a Bearer key on /_lab/* anyway.
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        Authorization: `Bearer ${config.labKey}`,
      },
      body: JSON.stringify({
        sub: 'alice',
        client_id: config.client.clientId,
        scope: config.client.scope,
        expires_in: -60,
      }),
    })
    if (minted.status === 404) {
      throw new AttackSetupError('POST /_lab/tokens exists only while the flow inspector is on (INSPECTOR=on).')
    }
    if (minted.status === 401) {
      throw new AttackSetupError('POST /_lab/tokens refused the lab key: the three servers must share one LAB_KEY.')
    }
    return callResource(
      ctx,
      'Attack: step 7 with the expired token',
      accessTokenOf(minted, 'Minting the expired token'),
    )
  },
}

export const tokenWithoutFoo: Attack = {
  name: 'token-without-foo',
  title: 'Token without scope foo',
  tried: 'Alice authorizes scope=bar only; the token from that flow is sent to the resource, which needs foo.',
  why: 'The token is valid, but it was granted only bar. The resource needs foo, so the resource server answers 403 insufficient_scope and names the scope it needs in WWW-Authenticate (RFC 6750 section 3.1).',
  answeredBy: 'resource server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx, { scope: 'bar' })
    const tokenResponse = await ctx.agent.backChannel(
      'Step 5: redeem the code',
      buildTokenRequest(ctx.config, authorization),
    )
    return callResource(
      ctx,
      'Attack: step 7 with the bar-only token',
      accessTokenOf(tokenResponse, 'Redeeming the code'),
    )
  },
}
