// Refresh tokens with rotation (RFC 6749 §6, RFC 9700 §4.14.2): a new access
// token without the user, each refresh token used once, and a reused one
// revoking its whole family.

import { formOf, pathOf, responseJson } from '../../flow/http.js'
import { AUTHORIZE_PATHS, isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry, RecordedExchange } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition, WalkPlacement } from '../walk.js'

export const refreshWalk: WalkDefinition = {
  name: 'refresh',
  title: 'Refresh tokens with rotation',
  summary:
    'Access tokens are short-lived; a refresh token lets the client get a new one without asking the user again. ' +
    'The lab rotates refresh tokens: each is used once and answered with a new one, so a stolen one that is ' +
    'replayed is noticed, and the whole family of tokens is revoked.',
  rfc: 'RFC 6749 §1.5, §6; RFC 9700 §4.14.2',
  steps: [
    {
      n: 1,
      title: 'The user authorizes the client (authorization code)',
      what:
        'As in the seven steps: the browser goes to the authorization endpoint, the user signs in and allows, and ' +
        'the browser comes back with a code.',
      rfc: 'RFC 6749 §4.1.1, §4.1.2',
      look: 'The authorization request and the code in the redirect back.',
    },
    {
      n: 2,
      title: 'The code for an access token and a refresh token',
      what:
        'The token response holds a short-lived access token and a refresh token. The refresh token is for the ' +
        'authorization server only: the client never sends it to a resource server.',
      rfc: 'RFC 6749 §4.1.4, §5.1, §10.4',
      look: 'refresh_token beside access_token and expires_in in the JSON answer.',
    },
    {
      n: 3,
      title: 'The client uses the access token',
      what: 'The access token goes to the resource server as Bearer, as in step 7 of the seven steps.',
      rfc: 'RFC 6750 §2.1',
      look: 'Authorization: Bearer and the 200 answer.',
    },
    {
      n: 4,
      title: 'The client refreshes: a new access token and a new refresh token',
      what:
        'When the access token expires (or before), the client POSTs grant_type=refresh_token with the refresh ' +
        'token, authenticating as usual. The authorization server rotates: the answer holds a new access token ' +
        'AND a new refresh token, and the old refresh token is now spent.',
      rfc: 'RFC 6749 §6; RFC 9700 §4.14.2 (refresh token rotation)',
      look: 'grant_type=refresh_token in the form, and a refresh_token in the answer that differs from the one sent.',
    },
    {
      n: 5,
      title: 'The new access token works',
      what: 'The new access token is accepted by the resource server: the user was not asked again.',
      rfc: 'RFC 6749 §1.5',
      look: 'The 200 answer to the new token.',
    },
  ],
  place: placeRefresh,
  checks: refreshChecks,
  attacks: ['refresh-token-reuse'],
}

function placeRefresh(e: RecordedExchange, all: readonly RecordedExchange[]): WalkPlacement | undefined {
  if (e.role === 'resource-server') {
    const step = resourceStep(e, all)
    return { request: step, response: step, from: 'client', to: 'resource-server' }
  }
  const browser = { from: 'browser', to: 'auth-server' } as const
  if (
    e.role === 'auth-server' &&
    (AUTHORIZE_PATHS.has(pathOf(e)) || pathOf(e) === '/login' || pathOf(e) === '/consent')
  )
    return { request: 1, response: 1, ...browser }
  if (isTokenRequest(e)) {
    const step = formOf(e).get('grant_type') === 'refresh_token' ? 4 : 2
    return { request: step, response: step, from: 'client', to: 'auth-server' }
  }
  return undefined
}

/** A resource call before the refresh is step 3, one after it step 5. */
function resourceStep(e: RecordedExchange, all: readonly RecordedExchange[]): 3 | 5 {
  const refreshed = all.some(
    (x) => isTokenRequest(x) && formOf(x).get('grant_type') === 'refresh_token' && x.startedAt < e.startedAt,
  )
  return refreshed ? 5 : 3
}

function refreshChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const answers = entries.filter((x) => x.part !== 'request' && isTokenRequest(x.exchange))
  const first = answers.find((x) => formOf(x.exchange).get('grant_type') === 'authorization_code')
  const refresh = answers.find((x) => formOf(x.exchange).get('grant_type') === 'refresh_token')
  const checks: WalkCheck[] = []
  const issued = first === undefined ? undefined : responseJson(first.exchange)?.refresh_token
  if (first !== undefined)
    checks.push({
      step: 2,
      ok: typeof issued === 'string',
      text: typeof issued === 'string' ? 'A refresh token came with the access token.' : 'No refresh token was issued.',
    })
  if (refresh !== undefined) {
    const sent = formOf(refresh.exchange).get('refresh_token')
    const rotated = responseJson(refresh.exchange)?.refresh_token
    const ok = typeof rotated === 'string' && rotated !== sent
    checks.push({
      step: 4,
      ok,
      text: ok
        ? 'Rotated: the answer holds a new refresh token; the one sent is spent (RFC 9700 §4.14.2).'
        : 'The answer holds no new refresh token: no rotation.',
    })
  }
  return checks
}
