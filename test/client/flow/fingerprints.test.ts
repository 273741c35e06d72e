// The live hub's fingerprints (flow/fingerprints.ts): kept between changes and
// worked out again only for the browsers a change may concern, yet always what
// flowsFor gives, step by step, back-channel steps included.

import { describe, expect, it } from 'vitest'
import { backChannelOwner, createFingerprints } from '../../../src/client/flow/fingerprints.js'
import type { RecordedExchange } from '../../../src/client/flow/types.js'
import { flowsFingerprint, flowsFor } from '../../../src/client/flow/visibility.js'
import { browserFlow } from './fixtures.js'

/** Marks the front-channel exchanges as `browser`'s; back-channel ones carry no browser. */
function ownedBy(browser: string, list: RecordedExchange[]): RecordedExchange[] {
  return list.map((e) => {
    const back = e.role === 'resource-server' || ['/token', '/jwks', '/introspect'].includes(e.request.url)
    return back ? e : { ...e, browser }
  })
}

const strict = (list: readonly RecordedExchange[], browser: string) =>
  flowsFingerprint(flowsFor(list, { kind: 'browser', browser }))

describe('the live hub\u2019s fingerprints', () => {
  const a = ownedBy('A', browserFlow({ state: 'SA', code: 'KA', token: 'TA', t0: 0 }))
  const b = ownedBy('B', browserFlow({ state: 'SB', code: 'KB', token: 'TB', t0: 5 }))

  it('gives a back-channel exchange to the browser whose flow it continues', () => {
    const all = [...a, ...b]
    const back = all.filter((e) => e.browser === undefined)
    expect(back.map((e) => `${e.role} ${e.request.url}`)).toEqual(
      expect.arrayContaining(['auth-server /token', 'resource-server /resource']),
    )
    for (const e of back) expect(backChannelOwner(e, all)).toBe(a.includes(e) ? 'A' : 'B')
  })

  it('is always what flowsFor gives, as the two flows interleave exchange by exchange', () => {
    const prints = createFingerprints()
    const interleaved = a.flatMap((e, i) => [e, ...(b[i] ? [b[i]] : [])]).concat(b.slice(a.length))
    for (let i = 1; i <= interleaved.length; i++) {
      const list = interleaved.slice(0, i)
      expect([i, prints.of('A', list), prints.of('B', list)]).toEqual([i, strict(list, 'A'), strict(list, 'B')])
    }
    expect(prints.of('A', interleaved)).toContain(':')
  })

  it('works every browser out again when exchanges leave the ring', () => {
    const prints = createFingerprints()
    const all = [...a, ...b]
    expect(prints.of('A', all)).toBe(strict(all, 'A'))
    const shorter = all.slice(3)
    expect(prints.of('A', shorter)).toBe(strict(shorter, 'A'))
  })
})
