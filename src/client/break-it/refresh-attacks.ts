// Break it on refresh tokens: a refresh token replayed after it was rotated,
// as a thief who copied it would (RFC 9700 §4.14.2).

import { basicAuthorization, buildTokenRequest, type OutgoingRequest } from '../oauth-client.js'
import type { LabConfig } from '../../shared/config.js'
import { AttackSetupError, type Attack } from './attack.js'
import type { AgentResponse } from './agent.js'
import { authorizationCode } from './play-authorization.js'

/** RFC 6749 §6: the refresh request, the client authenticated with HTTP Basic as for the code. */
function refreshRequest(config: LabConfig, refreshToken: string): OutgoingRequest {
  return {
    method: 'POST',
    url: `${config.auth.internalUrl}/token`,
    headers: {
      Authorization: basicAuthorization(config.client.clientId, config.client.clientSecret),
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  }
}

function refreshTokenOf(response: AgentResponse, what: string): string {
  let token: unknown
  try {
    token = (JSON.parse(response.body) as { refresh_token?: unknown }).refresh_token
  } catch {
    token = undefined
  }
  if (response.status !== 200 || typeof token !== 'string')
    throw new AttackSetupError(`${what} gave no refresh token (HTTP ${response.status}).`)
  return token
}

export const refreshTokenReuse: Attack = {
  name: 'refresh-token-reuse',
  title: 'Replayed refresh token',
  tried:
    'The client gets a refresh token and refreshes once, as it should: the answer holds a new refresh token. Then the old refresh token is sent again, as a thief who copied it before the rotation would.',
  why: 'With rotation every refresh token is used once. A spent one coming back means two parties hold the family, and the authorization server cannot tell the thief from the client: it refuses with invalid_grant and revokes the whole family, the new refresh token included (RFC 9700 section 4.14.2; RFC 6749 section 10.4). See below what happens to the legitimate client\u2019s new refresh token.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    const tokens = await ctx.agent.backChannel(
      'Steps 5-6: the code for tokens',
      buildTokenRequest(ctx.config, authorization),
    )
    const first = refreshTokenOf(tokens, 'The code')
    const rotated = await ctx.agent.backChannel('The client refreshes once', refreshRequest(ctx.config, first))
    const second = refreshTokenOf(rotated, 'The first refresh')
    const answer = await ctx.agent.backChannel(
      'Attack: the old refresh token sent again',
      refreshRequest(ctx.config, first),
    )
    const response = await ctx.agent.backChannel(
      'Afterwards: the client refreshes with its new refresh token',
      refreshRequest(ctx.config, second),
    )
    return {
      answer,
      aftermath: {
        title: 'The legitimate client\u2019s new refresh token',
        response,
        lesson:
          response.status === 200
            ? 'The new refresh token still worked: this lab did not revoke the family, which RFC 9700 section 4.14.2 asks for.'
            : 'Refused too: the reuse revoked the whole family, so the client must send its user through the authorization again. That is the price of detecting theft (RFC 9700 section 4.14.2).',
      },
    }
  },
}
