// What a learner must be able to verify across steps: the state comes back
// unchanged, the code of step 4 is the one redeemed in step 5, and the PKCE
// verifier of step 5 hashes to the challenge of step 1.

import { formOf, locationParams, pathOf, queryOf, responseJson } from './http.js'
import { AUTHORIZE_PATHS, TOKEN_PATHS } from './index-exchanges.js'
import type { FlowChecks, FlowEntry, RecordedExchange } from './types.js'

export function flowChecks(entries: readonly FlowEntry[]): FlowChecks {
  const exchanges = unique(entries)
  // Step-through previews step 1 in a page; the redirect carries the state.
  const sentState = exchanges
    .filter((e) => e.role === 'client' && pathOf(e).startsWith('/connect'))
    .map((e) => locationParams(e).get('state'))
    .find((s) => s !== null)
  const authorize = exchanges.find((e) => e.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(e)))
  const redirect = entries.find((e) => e.step === 4 && e.part !== 'request' && locationParams(e.exchange).has('state'))
  const codeRedirect = entries.find(
    (e) => e.step === 4 && e.part !== 'request' && locationParams(e.exchange).has('code'),
  )
  const tokenRequest = exchanges.find(
    (e) =>
      e.role === 'auth-server' && TOKEN_PATHS.has(pathOf(e)) && formOf(e).get('grant_type') === 'authorization_code',
  )
  const form = tokenRequest ? formOf(tokenRequest) : undefined
  const issued =
    tokenRequest && tokenRequest.response.status === 200 ? responseJson(tokenRequest)?.access_token : undefined
  return definedOnly({
    state: sentState ?? (authorize ? queryOf(authorize).get('state') : null) ?? undefined,
    returnedState: redirect ? (locationParams(redirect.exchange).get('state') ?? undefined) : undefined,
    issuedCode: codeRedirect ? (locationParams(codeRedirect.exchange).get('code') ?? undefined) : undefined,
    redeemedCode: form?.get('code') ?? undefined,
    codeChallenge: (authorize ? queryOf(authorize).get('code_challenge') : null) ?? undefined,
    codeVerifier: form?.get('code_verifier') ?? undefined,
    accessToken: typeof issued === 'string' ? issued : undefined,
    tokenCheck: tokenCheckOf(exchanges),
  })
}

function tokenCheckOf(exchanges: readonly RecordedExchange[]): FlowChecks['tokenCheck'] {
  if (!exchanges.some((e) => e.role === 'resource-server' && pathOf(e) === '/resource')) return undefined
  if (exchanges.some((e) => e.role === 'auth-server' && pathOf(e) === '/introspect')) return 'introspect'
  if (exchanges.some((e) => e.role === 'auth-server' && pathOf(e) === '/jwks')) return 'jwks'
  // jose caches the key set: later calls verify locally without a request.
  return 'cached-keys'
}

export function unique(entries: readonly FlowEntry[]): RecordedExchange[] {
  return [...new Set(entries.map((e) => e.exchange))]
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
