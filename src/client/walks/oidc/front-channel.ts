// Where the browser's exchanges at the authorization server go in a walk with
// an authorization request (steps 1-4 of RFC 6749 §4.1): the request, the
// sign-in, the consent, and the redirect back with the code. Shared by the
// walks that send the learner's real browser there (spa-pkce, oidc).

import { locationParams, pathOf } from '../../flow/http.js'
import { AUTHORIZE_PATHS } from '../../flow/index-exchanges.js'
import type { RecordedExchange } from '../../flow/types.js'
import type { WalkPlacement } from '../walk.js'

/** The step an answer of the authorization server leads to: a sign-in page (2), a consent page (3), the code (4). */
function answerStep(e: RecordedExchange): 2 | 3 | 4 {
  if (locationParams(e).has('code') || locationParams(e).has('error')) return 4
  const body = e.response.body ?? ''
  if (body.includes('action="/consent"')) return 3
  return 2
}

/** Steps 1-4 in the browser, or undefined for any other exchange. */
export function placeFrontChannel(e: RecordedExchange, all: readonly RecordedExchange[]): WalkPlacement | undefined {
  if (e.role !== 'auth-server') return undefined
  const path = pathOf(e)
  const from = 'browser'
  const to = 'auth-server'
  if (e.request.method === 'GET' && AUTHORIZE_PATHS.has(path)) {
    // Back from the sign-in (step 2), the browser asks again; its first request is step 1.
    const again = all.some(
      (x) => x !== e && x.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(x)) && x.startedAt < e.startedAt,
    )
    return { request: again ? 2 : 1, response: answerStep(e), from, to }
  }
  if (e.request.method === 'POST' && path === '/login') return { request: 2, response: 2, from, to }
  if (e.request.method === 'POST' && path === '/consent') return { request: 3, response: 4, from, to }
  return undefined
}
