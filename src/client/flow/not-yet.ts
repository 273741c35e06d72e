// Answers with an error status that a flow expects, which say "not yet" or
// "again, with this": the flow goes on after them. Neither the verdict
// (verdict.ts) counts them as refusals nor the sequence diagram (diagram.ts)
// draws them as refused, so the two always agree.

import { isAuthorizationPending } from './device-polling.js'
import { responseHeader, responseJson } from './http.js'
import type { RecordedExchange } from './types.js'

/**
 * RFC 9449 §8 (token endpoint: 400 `use_dpop_nonce`) and §9 (resource: 401
 * with the DPoP challenge): the server hands out a nonce and the client
 * repeats the request with it.
 */
export function isDpopNonceChallenge(e: RecordedExchange): boolean {
  if (responseHeader(e, 'dpop-nonce') === undefined) return false
  const challenge = responseHeader(e, 'www-authenticate') ?? ''
  return responseJson(e)?.error === 'use_dpop_nonce' || /error="use_dpop_nonce"/.test(challenge)
}

/** A DPoP nonce challenge, or a polling device's authorization_pending (RFC 8628 §3.5). */
export function isNotYet(e: RecordedExchange): boolean {
  return isDpopNonceChallenge(e) || isAuthorizationPending(e)
}
