// The device grant's polls at the token endpoint (RFC 8628 §3.4, §3.5), read
// from recorded exchanges: which answer is the device's expected "not yet"
// (authorization_pending), and which is a refusal (slow_down, expired_token,
// access_denied). Shared by the device walk-through and every flow's verdict,
// so a Break-it flow and the walk judge the same answer the same way.

import { DEVICE_CODE_GRANT } from '../../shared/enumerations.js'
import { formOf, responseJson } from './http.js'
import { isTokenRequest } from './index-exchanges.js'
import type { RecordedExchange } from './types.js'

/** A POST /token with grant_type=urn:ietf:params:oauth:grant-type:device_code. */
export function isDevicePoll(e: RecordedExchange): boolean {
  return isTokenRequest(e) && formOf(e).get('grant_type') === DEVICE_CODE_GRANT
}

/** The poll's `error`, if it was refused (RFC 6749 §5.2 JSON). */
export function pollErrorOf(e: RecordedExchange): string | undefined {
  if (!isDevicePoll(e) || e.response.status < 400) return undefined
  const error = responseJson(e)?.error
  return typeof error === 'string' ? error : undefined
}

/**
 * RFC 8628 §3.5: authorization_pending says "the user has not decided yet,
 * ask again after the interval": the answer a polling device expects, not a refusal.
 */
export function isAuthorizationPending(e: RecordedExchange): boolean {
  return pollErrorOf(e) === 'authorization_pending'
}
