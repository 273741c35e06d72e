// Step 4 as step-through mode shows it: the authorization response has come
// back to the callback. The page shows the results of this app's real checks
// of state (RFC 6749 §10.12) and iss (RFC 9207 §2.4), the code and how it got
// here, and when the code expires (RFC 6749 §4.1.2), before step 5 is sent.

import type { LabConfig } from '../shared/config.js'
import { constantTimeEqual } from '../shared/constant-time.js'
import { grantedCodeLifetime } from '../shared/step-through-code.js'
import type { PendingFlow } from './client-session.js'

export interface ArrivalCheck {
  readonly name: 'state' | 'iss'
  readonly ok: boolean
  readonly reason: string
}

export interface CodeExpiry {
  readonly lifetimeSeconds: number
  /** True when step 1 asked for step-through's longer lifetime. */
  readonly longer: boolean
  readonly usualSeconds: number
  readonly expiresAtIso: string
  /** e.g. "12:03:04 UTC". */
  readonly expiresAtText: string
}

export interface StepArrival {
  readonly checks: readonly ArrivalCheck[]
  readonly code?: string
  /** The callback request line as the browser sent it. */
  readonly requestLine: string
  readonly issuer?: string
  readonly expiry?: CodeExpiry
}

/** RFC 6749 §10.12, RFC 9700 §4.7.1: the state must be the one this session sent. */
export function stateCheck(pending: PendingFlow | undefined, state: string | undefined): ArrivalCheck {
  const fail = (reason: string): ArrivalCheck => ({ name: 'state', ok: false, reason })
  if (state === undefined)
    return fail('missing: nothing shows that this response answers a request of this app (RFC 6749 §10.12).')
  if (!pending)
    return fail(
      'no flow of this browser is waiting for a response: Connect was not pressed here, or this response was already used (RFC 9700 §4.7.1).',
    )
  if (!constantTimeEqual(state, pending.state))
    return fail(
      'not the one this app sent in step 1 and kept in your session: a forged or stale response, refused against cross-site request forgery (RFC 6749 §10.12).',
    )
  return {
    name: 'state',
    ok: true,
    reason: 'the very value this app sent in step 1 and kept in your session (RFC 6749 §10.12).',
  }
}

/** RFC 9207 §2.4: iss must be present and equal this app's authorization server, by simple string comparison. */
export function issCheck(iss: string | undefined, expected: string): ArrivalCheck {
  if (iss === undefined)
    return {
      name: 'iss',
      ok: false,
      reason: 'missing: this app cannot tell which authorization server sent the response (RFC 9207 §2.4).',
    }
  if (iss !== expected)
    return {
      name: 'iss',
      ok: false,
      reason: `${iss}, not ${expected}: the response may come from another authorization server, a mix-up attack (RFC 9207 §2.4).`,
    }
  return { name: 'iss', ok: true, reason: `${iss}, this app’s authorization server (RFC 9207 §2.4).` }
}

/**
 * When the code expires, as this app can know it: the code was issued just
 * before the redirect that brought it, for the lab's configured lifetime (the
 * client shares the lab's configuration), or the longer one step 1 asked for.
 */
export function codeExpiry(config: LabConfig, pending: PendingFlow, arrivedAtMs: number): CodeExpiry {
  const usualSeconds = config.auth.codeTtlSeconds
  const asked = pending.codeLifetime
  const lifetimeSeconds = asked === undefined ? usualSeconds : grantedCodeLifetime(usualSeconds, String(asked))
  const expiresAtMs = arrivedAtMs + lifetimeSeconds * 1000
  const iso = new Date(expiresAtMs).toISOString()
  return {
    lifetimeSeconds,
    longer: lifetimeSeconds > usualSeconds,
    usualSeconds,
    expiresAtIso: iso,
    expiresAtText: `${iso.slice(11, 19)} UTC`,
  }
}
