// What the live hub compares to tell a stream only when its viewer's flows
// changed: each browser's fingerprint (flowsFor, then id:entries per flow),
// kept between changes and worked out again only for the browsers a change
// may concern. With a room of learners, working out every browser's flows at
// every change was most of the hub's work.
//
// A browser's view changes only with an exchange visible to it
// (visibility.ts): its own, or one of no browser (back channel, tagged). Who a
// back-channel exchange may concern is worked out from its own values, as
// correlate.ts joins it (owners.ts): a token request by the code it redeems, a
// resource, introspection or revocation request by the token it carries. The
// same owners say which exchanges a browser's flows are worked out from: its
// own and those of no browser that may be its, not every learner's back
// channel. When owners cannot be told (a refresh, a key fetch, a Break-it
// request), every browser keeps the exchange and is worked out again.

import type { Flow, RecordedExchange } from './types.js'
import { createOwnerIndex, type Owners } from './owners.js'
import { flowsFingerprint, flowsFor } from './visibility.js'

/** The browser a back-channel exchange belongs to, or undefined when that cannot be told or several hold it. */
export function backChannelOwner(e: RecordedExchange, exchanges: readonly RecordedExchange[]): string | undefined {
  const index = createOwnerIndex()
  for (const x of exchanges) index.add(x)
  const owners = index.ownersOf(e)
  return owners !== 'unknown' && owners.size === 1 ? [...owners][0] : undefined
}

export interface Fingerprints {
  /** `browser`'s fingerprint, from `exchanges` (what was collected, oldest first). */
  of(browser: string, exchanges: readonly RecordedExchange[]): string
  /** `browser`'s flows, worked out once with its fingerprint (a live update renders them right after). */
  flows(browser: string, exchanges: readonly RecordedExchange[]): Flow[]
  /** What `browser`'s flows are worked out from: its own exchanges and those of no browser it may own. */
  candidates(browser: string, exchanges: readonly RecordedExchange[]): RecordedExchange[]
  /** How many times flows were worked out, and how big the owners' index is (tests watch both). */
  stats(): { readonly computed: number; readonly indexed: number }
}

export function createFingerprints(): Fingerprints {
  const known = new Map<string, { readonly print: string; readonly flows: Flow[] }>()
  const index = createOwnerIndex()
  /** What the index holds, in ring order. */
  let held: readonly RecordedExchange[] = []
  let computed = 0
  /** Whether each exchange is listed once: the index's orders are then consecutive. */
  let whole = true

  function forget(owners: Owners): void {
    if (owners === 'unknown') known.clear()
    else for (const browser of owners) known.delete(browser)
  }

  /** How many exchanges left the front of the ring since the last call; undefined when the rest is not there in order. */
  function leftFront(exchanges: readonly RecordedExchange[]): number | undefined {
    const first = held[0]
    if (first === undefined) return 0
    const head = exchanges[0]
    const order = head === undefined ? undefined : index.orderOf(head)
    // The held exchanges have consecutive orders: the head's tells how many went before it.
    if (order === undefined) return held.length
    const left = order - index.orderOf(first)!
    const kept = held.length - left
    if (left < 0 || kept <= 0 || kept > exchanges.length) return undefined
    return held[left] === head && exchanges[kept - 1] === held.at(-1) ? left : undefined
  }

  /** Indexes `exchanges` afresh. */
  function rebuild(exchanges: readonly RecordedExchange[]): void {
    index.clear()
    known.clear()
    held = [...exchanges]
    whole = true
    for (const e of held) if (!index.add(e)) whole = false
  }

  /** Follows the ring: forgets the fingerprints of the browsers what left or arrived may concern. */
  function catchUp(exchanges: readonly RecordedExchange[]): void {
    const left = whole ? leftFront(exchanges) : undefined
    if (left === undefined) return rebuild(exchanges)
    // Nothing new (every open page asks after each change): nothing to copy.
    if (left === 0 && exchanges.length === held.length) return
    const gone = held.slice(0, left)
    // Owners as they were, while the index still holds what explains them.
    for (const e of gone) forget(index.ownersOf(e))
    for (const e of gone) index.remove(e)
    const fresh = exchanges.slice(held.length - left)
    held = [...exchanges]
    for (const e of fresh) if (!index.add(e)) return rebuild(exchanges)
    // Owners as they are now, with everything that arrived with them.
    for (const e of fresh) forget(index.ownersOf(e))
  }

  function entry(browser: string, exchanges: readonly RecordedExchange[]) {
    catchUp(exchanges)
    let entryOf = known.get(browser)
    if (entryOf === undefined) {
      computed++
      // An exchange listed twice (never from the collector) is grouped twice: only the whole list says how.
      const flows = flowsFor(whole ? index.candidates(browser) : exchanges, { kind: 'browser', browser })
      known.set(browser, (entryOf = { print: flowsFingerprint(flows), flows }))
    }
    return entryOf
  }

  return {
    of: (browser, exchanges) => entry(browser, exchanges).print,
    flows: (browser, exchanges) => entry(browser, exchanges).flows,
    candidates(browser, exchanges) {
      catchUp(exchanges)
      return index.candidates(browser)
    },
    stats: () => ({ computed, indexed: index.size() }),
  }
}
