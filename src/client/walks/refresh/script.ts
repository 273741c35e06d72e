// Refresh with rotation, one "Next" per step: the learner authorizes in their
// own browser (step 1), the callback redeems the code (step 2), then the
// resource, the refresh, and the resource again with the new token.

import { authorizationProblem, authorizationRedirect, redeemCode } from '../front-channel.js'
import { callResource } from '../resource-call.js'
import { errorLine, type WalkAnswer, tokenRequest } from '../walk-http.js'
import type { WalkScript } from '../walk.js'

function tokenPair(answer: WalkAnswer): { access: string; refresh: string } | undefined {
  const access = answer.json?.access_token
  const refresh = answer.json?.refresh_token
  return answer.status === 200 && typeof access === 'string' && typeof refresh === 'string'
    ? { access, refresh }
    : undefined
}

const short = (token: string) => `${token.slice(0, 12)}…`

export const refreshScript: WalkScript = {
  name: 'refresh',
  stops: [
    {
      step: 1,
      action: 'Authorize the client (your browser goes to the authorization server)',
      run: async (ctx) => authorizationRedirect(ctx),
    },
    {
      step: 3,
      action: 'Call the resource server with the access token',
      run: (ctx) => callResource(ctx, ctx.data.accessToken ?? '', 3, false),
    },
    {
      step: 4,
      action: 'Refresh: send the refresh token (grant_type=refresh_token)',
      async run(ctx) {
        // RFC 6749 §6: the refresh token, the client authenticated as for the code.
        const answer = await tokenRequest(ctx, {
          grant_type: 'refresh_token',
          refresh_token: ctx.data.refreshToken ?? '',
        })
        const pair = tokenPair(answer)
        if (pair === undefined)
          return {
            kind: 'shown',
            done: true,
            result: { step: 4, title: 'The refresh was refused', ok: false, lines: [errorLine(answer)] },
          }
        return {
          kind: 'shown',
          data: {
            accessToken: pair.access,
            refreshToken: pair.refresh,
            spentRefreshToken: ctx.data.refreshToken ?? '',
          },
          result: {
            step: 4,
            title: 'A new access token and a new refresh token',
            ok: pair.refresh !== ctx.data.refreshToken,
            lines: [
              `refresh_token sent:     ${short(ctx.data.refreshToken ?? '')}`,
              `refresh_token received: ${short(pair.refresh)} (the one sent is now spent)`,
              `expires_in ${String(answer.json?.expires_in)} s`,
            ],
          },
        }
      },
    },
    {
      step: 5,
      action: 'Call the resource server with the new access token',
      run: (ctx) => callResource(ctx, ctx.data.accessToken ?? '', 5),
    },
  ],
  async callback(ctx, query) {
    const problem = authorizationProblem(ctx, query)
    if (problem !== undefined)
      return { kind: 'shown', done: true, result: { step: 1, title: 'No code to redeem', ok: false, lines: [problem] } }
    const answer = await redeemCode(ctx, query.code ?? '')
    const pair = tokenPair(answer)
    if (pair === undefined)
      return {
        kind: 'shown',
        done: true,
        result: {
          step: 2,
          title: 'No refresh token',
          ok: false,
          lines: [answer.status === 200 ? 'The answer held no refresh_token.' : errorLine(answer)],
        },
      }
    return {
      kind: 'shown',
      data: { accessToken: pair.access, refreshToken: pair.refresh },
      result: {
        step: 2,
        title: 'An access token and a refresh token',
        ok: true,
        lines: [
          'The code came back with state and iss checked; redeemed with HTTP Basic and the PKCE verifier.',
          `access_token ${short(pair.access)}, expires_in ${String(answer.json?.expires_in)} s`,
          `refresh_token ${short(pair.refresh)}`,
        ],
      },
    }
  },
}
