// The second screen's exchanges belong to the device's flow although they
// carry neither its tag nor a state: the verification page is known by the
// user code the device was given (RFC 8628 §3.3), and the sign-in and consent
// that follow it by the `interaction` each page hands to the next.

import { formOf, hiddenInput, locationParams, pathOf, queryOf, responseJson } from '../../flow/http.js'
import type { RecordedExchange } from '../../flow/types.js'

const DEVICE_AUTHORIZATION_PATH = '/device_authorization'
const FOLLOWED_PATHS = new Set(['/login', '/consent', '/device/continue'])

/** RFC 8628 §6.1: compared without case, dashes or spaces. */
function normalised(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '')
}

function userCodesOf(members: readonly RecordedExchange[]): Set<string> {
  const codes = new Set<string>()
  for (const e of members) {
    if (e.role !== 'auth-server' || pathOf(e) !== DEVICE_AUTHORIZATION_PATH) continue
    const code = responseJson(e)?.user_code
    if (typeof code === 'string') codes.add(normalised(code))
  }
  return codes
}

/** The verification page opened or posted with one of the flow's user codes. */
function entersCode(e: RecordedExchange, codes: ReadonlySet<string>): boolean {
  if (e.role !== 'auth-server' || pathOf(e) !== '/device') return false
  const code = e.request.method === 'GET' ? queryOf(e).get('user_code') : formOf(e).get('user_code')
  return code !== null && codes.has(normalised(code))
}

/** The interactions a page hands on: a hidden field of its form, or the query of its redirect. */
function interactionsOf(e: RecordedExchange): string[] {
  return [hiddenInput(e, 'interaction'), locationParams(e).get('interaction') ?? undefined].filter(
    (x): x is string => x !== undefined && x !== '',
  )
}

function carriedInteraction(e: RecordedExchange): string | undefined {
  if (e.role !== 'auth-server' || !FOLLOWED_PATHS.has(pathOf(e))) return undefined
  return (e.request.method === 'GET' ? queryOf(e) : formOf(e)).get('interaction') ?? undefined
}

export function joinVerification(
  members: readonly RecordedExchange[],
  untagged: readonly RecordedExchange[],
): readonly RecordedExchange[] {
  const codes = userCodesOf(members)
  if (codes.size === 0) return []
  const joined = new Set(untagged.filter((e) => entersCode(e, codes)))
  const interactions = new Set<string>()
  const queue = [...joined]
  // Each exchange is queued at most once: the loop ends after untagged.length rounds at most.
  while (queue.length > 0) {
    for (const interaction of interactionsOf(queue.shift()!)) interactions.add(interaction)
    for (const e of untagged) {
      const carried = carriedInteraction(e)
      if (joined.has(e) || carried === undefined || !interactions.has(carried)) continue
      joined.add(e)
      queue.push(e)
    }
  }
  return [...joined]
}
