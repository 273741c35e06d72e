// What the live hub compares to tell a stream only when its viewer's flows
// changed: each browser's fingerprint (flowsFor, then id:entries per flow),
// kept between changes and worked out again only for the browsers a change
// may concern. With a room of learners, working out every browser's flows at
// every change was most of the hub's work.
//
// A browser's view changes only with an exchange visible to it
// (visibility.ts): its own, or one of no browser (back channel, tagged). A
// back-channel exchange is given to the browser whose flow it continues, found
// from its own values, as correlate.ts joins it: a token request by the code
// it redeems (issued in that browser's redirect), a resource, introspection
// or revocation request by the access token it carries (issued by such a
// token request). When that cannot be told (a refresh, a key fetch, a Break-it
// request, exchanges dropped from the ring), every browser is worked out again.

import { FLOW_HEADER, formOf, pathOf, requestHeader, responseHeader } from './http.js'
import type { Flow, RecordedExchange } from './types.js'
import { flowsFingerprint, flowsFor } from './visibility.js'

const TOKEN_HOPS = 2

/** The browser `code` was issued to: its redirect's Location, or its callback's URL, carries it. */
function codeOwner(code: string, exchanges: readonly RecordedExchange[]): string | undefined {
  const needle = `code=${encodeURIComponent(code)}`
  for (const e of exchanges) {
    if (e.browser === undefined) continue
    if ((responseHeader(e, 'location') ?? '').includes(needle) || e.request.url.includes(needle)) return e.browser
  }
  return undefined
}

/** The browser a back-channel exchange belongs to, or undefined when that cannot be told. */
export function backChannelOwner(
  e: RecordedExchange,
  exchanges: readonly RecordedExchange[],
  hops = TOKEN_HOPS,
): string | undefined {
  const path = pathOf(e)
  if (e.role === 'auth-server' && path === '/token') {
    const form = formOf(e)
    const code = form.get('grant_type') === 'authorization_code' ? form.get('code') : null
    return code ? codeOwner(code, exchanges) : undefined
  }
  const bearer = /^bearer\s+(\S+)$/i.exec(requestHeader(e, 'authorization') ?? '')?.[1]
  const token =
    e.role === 'resource-server' ? bearer : ['/introspect', '/revoke'].includes(path) ? formOf(e).get('token') : null
  if (!token || hops === 0) return undefined
  // RFC 6749 §5.1: the token was issued in a token response's JSON body.
  const issued = exchanges.find(
    (x) => x.role === 'auth-server' && pathOf(x) === '/token' && (x.response.body ?? '').includes(`"${token}"`),
  )
  return issued ? backChannelOwner(issued, exchanges, hops - 1) : undefined
}

export interface Fingerprints {
  /** `browser`'s fingerprint, from `exchanges` (what was collected, oldest first). */
  of(browser: string, exchanges: readonly RecordedExchange[]): string
  /** `browser`'s flows, worked out once with its fingerprint (a live update renders them right after). */
  flows(browser: string, exchanges: readonly RecordedExchange[]): Flow[]
}

export function createFingerprints(): Fingerprints {
  const known = new Map<string, { readonly print: string; readonly flows: Flow[] }>()
  let first: RecordedExchange | undefined
  let last: RecordedExchange | undefined

  /** Forgets the fingerprints of the browsers that what arrived since the last call may concern. */
  function catchUp(exchanges: readonly RecordedExchange[]): void {
    const head = exchanges[0]
    const tail = exchanges.at(-1)
    if (tail === last && head === first) return
    const from = last === undefined ? -1 : exchanges.lastIndexOf(last)
    // Exchanges dropped from the front of the ring, or the start: every browser again.
    if (head !== first || from === -1) known.clear()
    else {
      for (const e of exchanges.slice(from + 1)) {
        const owner =
          e.browser ?? (requestHeader(e, FLOW_HEADER) === undefined ? backChannelOwner(e, exchanges) : undefined)
        if (owner === undefined) {
          known.clear()
          break
        }
        known.delete(owner)
      }
    }
    first = head
    last = tail
  }

  function entry(browser: string, exchanges: readonly RecordedExchange[]) {
    catchUp(exchanges)
    let entryOf = known.get(browser)
    if (entryOf === undefined) {
      const flows = flowsFor(exchanges, { kind: 'browser', browser })
      known.set(browser, (entryOf = { print: flowsFingerprint(flows), flows }))
    }
    return entryOf
  }

  return {
    of: (browser, exchanges) => entry(browser, exchanges).print,
    flows: (browser, exchanges) => entry(browser, exchanges).flows,
  }
}
