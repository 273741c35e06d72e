// The live hub's fingerprints (flow/fingerprints.ts): kept between changes and
// worked out again only for the browsers a change may concern, yet always what
// flowsFor gives, step by step, back-channel steps included.

import { describe, expect, it } from 'vitest'
import { backChannelOwner, createFingerprints } from '../../../src/client/flow/fingerprints.js'
import { FLOW_HEADER } from '../../../src/client/flow/http.js'
import type { RecordedExchange } from '../../../src/client/flow/types.js'
import { flowsFingerprint, flowsFor } from '../../../src/client/flow/visibility.js'
import { browserFlow, exchange, jwksFetch } from './fixtures.js'

/** Marks the front-channel exchanges as `browser`'s (none: a script's); back-channel ones carry no browser. */
function ownedBy(browser: string | undefined, list: RecordedExchange[]): RecordedExchange[] {
  return list.map((e) => {
    const back = e.role === 'resource-server' || ['/token', '/jwks', '/introspect'].includes(e.request.url)
    return back || browser === undefined ? e : { ...e, browser }
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

const viewer = (browser: string) => ({ kind: 'browser', browser }) as const
const form: Array<[string, string]> = [['Content-Type', 'application/x-www-form-urlencoded']]
const urls = (list: readonly RecordedExchange[]) =>
  list.map((e) => `${e.role} ${e.request.url} ${e.request.body ?? ''}`)

/** Each browser's flows from its candidates are exactly flowsFor over everything, worked out afresh and step by step. */
function expectSameFlows(list: readonly RecordedExchange[], browsers: readonly string[]): void {
  const afresh = createFingerprints()
  for (const browser of browsers) expect(afresh.flows(browser, list)).toEqual(flowsFor(list, viewer(browser)))
  const stepwise = createFingerprints()
  for (let i = 1; i <= list.length; i++) {
    const prefix = list.slice(0, i)
    for (const browser of browsers) {
      expect([i, browser, stepwise.flows(browser, prefix)]).toEqual([i, browser, flowsFor(prefix, viewer(browser))])
    }
  }
}

function introspection(at: number, token: string): RecordedExchange {
  return exchange(
    'auth-server',
    at,
    { method: 'POST', url: '/introspect', headers: form, body: `token=${token}` },
    { body: '{"active":true}' },
  )
}

describe('a browser\u2019s flows from its own exchanges and the back channel it may own', () => {
  const a = ownedBy('A', browserFlow({ state: 'SA', code: 'KA', token: 'TA', t0: 0 }))
  const b = ownedBy('B', browserFlow({ state: 'SB', code: 'KB', token: 'TB', t0: 5 }))
  const interleaved = a.flatMap((e, i) => [e, ...(b[i] ? [b[i]] : [])])

  it('leaves out another learner\u2019s token request and resource call, and gives the same flows', () => {
    expectSameFlows(interleaved, ['A', 'B'])
    const prints = createFingerprints()
    const forA = urls(prints.candidates('A', interleaved))
    expect(forA.filter((u) => u.includes('code=KB'))).toEqual([])
    expect(forA.filter((u) => u.includes('code=KA'))).toHaveLength(2)
    expect(prints.candidates('A', interleaved).some((e) => e.role === 'resource-server' && b.includes(e))).toBe(false)
    expect(prints.candidates('A', interleaved).length).toBeLessThan(interleaved.length - b.length + 2)
  })

  it('keeps a code injected into another browser\u2019s callback for both holders', () => {
    // B's callback brings back A's code KA (injected), and the client redeems it for B.
    const victim = ownedBy('B', browserFlow({ state: 'SB', code: 'KB', redeemedCode: 'KA', token: 'TV', t0: 50 })).map(
      (e) =>
        e.request.url.startsWith('/authenticated')
          ? { ...e, request: { ...e.request, url: `/authenticated?code=KA&state=SB` } }
          : e,
    )
    const list = [...a, ...victim]
    expectSameFlows(list, ['A', 'B'])
    const prints = createFingerprints()
    const redeems = (browser: string) =>
      prints.candidates(browser, list).filter((e) => e.request.url === '/token' && e.request.body?.includes('code=KA'))
    expect(redeems('A')).toHaveLength(2)
    expect(redeems('B')).toHaveLength(2)
    // C holds nothing: neither is worked out for it.
    expect(redeems('C')).toEqual([])
  })

  it('gives a resource call and an introspection to whoever the token was issued to', () => {
    const list = [...interleaved, introspection(200, 'TA'), introspection(201, 'TB')]
    expectSameFlows(list, ['A', 'B'])
    const prints = createFingerprints()
    const introspected = (browser: string) =>
      prints
        .candidates(browser, list)
        .filter((e) => e.request.url === '/introspect')
        .map((e) => e.request.body)
    expect(introspected('A')).toEqual(['token=TA'])
    expect(introspected('B')).toEqual(['token=TB'])
    expect(backChannelOwner(list.at(-1)!, list)).toBe('B')
  })

  it('keeps a refresh, a key fetch and a resource call of an unknown token for every browser', () => {
    const refresh = exchange(
      'auth-server',
      300,
      { method: 'POST', url: '/token', headers: form, body: 'grant_type=refresh_token&refresh_token=RA' },
      { headers: [['content-type', 'application/json']], body: '{"access_token":"TR","token_type":"Bearer"}' },
    )
    const use = exchange('resource-server', 310, {
      url: '/resource',
      headers: [['Authorization', 'Bearer TR']],
    })
    const stray = exchange('resource-server', 320, { url: '/resource', headers: [['Authorization', 'Bearer nobody']] })
    const list = [...interleaved, refresh, jwksFetch(305), use, stray]
    expectSameFlows(list, ['A', 'B'])
    const prints = createFingerprints()
    for (const browser of ['A', 'B', 'C']) {
      expect(prints.candidates(browser, list)).toEqual(expect.arrayContaining([refresh, use, stray, list.at(-3)]))
    }
  })

  it('leaves a Break-it flow in, for flowsFor to show only to whoever started it', () => {
    const attack = ownedBy(undefined, browserFlow({ state: 'SX', code: 'KX', token: 'TX', t0: 400, tag: 'attack-x-1' }))
    const started = {
      ...exchange(
        'client',
        399,
        { method: 'POST', url: '/break/replayed-code' },
        { headers: [[FLOW_HEADER, 'attack-x-1']] },
      ),
      browser: 'A',
    }
    const list = [...interleaved, started, ...attack]
    expectSameFlows(list, ['A', 'B'])
    expect(
      createFingerprints()
        .flows('A', list)
        .map((f) => f.id),
    ).toContain('attack-x-1')
    expect(
      createFingerprints()
        .flows('B', list)
        .map((f) => f.id),
    ).not.toContain('attack-x-1')
  })

  it('keeps a code for everyone when a Break-it flow’s redirect carries it too', () => {
    // A's attack is handed B's code: the untagged redemption of KB joins A's tagged flow through it.
    const attack = ownedBy(undefined, browserFlow({ state: 'SY', code: 'KB', token: 'TY', t0: 60, tag: 'attack-y-1' }))
    const started = {
      ...exchange(
        'client',
        59,
        { method: 'POST', url: '/break/code-injection' },
        { headers: [[FLOW_HEADER, 'attack-y-1']] },
      ),
      browser: 'A',
    }
    const list = [...interleaved, started, ...attack]
    expectSameFlows(list, ['A', 'B'])
    const redemptionB = b.find((e) => e.request.url === '/token')!
    expect(createFingerprints().candidates('A', list)).toContain(redemptionB)
  })

  it('gives the token request to its browser when it was collected before the callback that holds its code', () => {
    // The authorization server's ring is read before the client's own: its /token and the resource call come first.
    const early = [...a.filter((e) => e.browser === undefined), ...a.filter((e) => e.browser !== undefined)]
    const list = [...b, ...early]
    expectSameFlows(list, ['A', 'B'])
    const prints = createFingerprints()
    const tokenA = a.find((e) => e.request.url === '/token')!
    // Before A's callback and consent arrive, nobody can tell: every browser keeps it.
    const before = list.slice(0, b.length + 2)
    expect(prints.candidates('B', before)).toContain(tokenA)
    expect(prints.candidates('B', list)).not.toContain(tokenA)
    expect(prints.candidates('A', list)).toContain(tokenA)
  })

  it('tells a browser whose page was open while another\u2019s resource call ran: the call may take that page', () => {
    // B fetches its resource while A's call runs inside B's page: both calls may be matched with it (matchPages).
    const late = ownedBy('B', browserFlow({ state: 'SB', code: 'KB', token: 'TB', t0: 0 }))
    const list = [...a, ...late]
    expectSameFlows(list, ['A', 'B'])
    const callA = a.find((e) => e.role === 'resource-server')!
    expect(createFingerprints().candidates('B', list)).toContain(callA)
  })
})

/** A small fixed-seed generator (mulberry32): the same interleavings at every run. */
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `lists` merged in a random order that keeps each list's own order. */
function interleave(lists: RecordedExchange[][], next: () => number): RecordedExchange[] {
  const queues = lists.map((list) => [...list])
  const out: RecordedExchange[] = []
  for (let left = queues.reduce((n, q) => n + q.length, 0); left > 0; left--) {
    const open = queues.filter((q) => q.length > 0)
    out.push(open[Math.floor(next() * open.length)]!.shift()!)
  }
  return out
}

/** N learners' seven-step flows, started close together (same instants happen), and a key fetch now and then. */
function room(seed: number, learners: number): { list: RecordedExchange[]; browsers: string[] } {
  const next = random(seed)
  const browsers = Array.from({ length: learners }, (_, i) => `L${i}`)
  const flows = browsers.map((browser, i) => {
    const t0 = Math.floor(next() * 40)
    const path = (['login', 'consent', 'remembered'] as const)[Math.floor(next() * 3)]
    return ownedBy(
      browser,
      browserFlow({ state: `S${seed}-${i}`, code: `K${seed}-${i}`, token: `T${seed}-${i}`, t0, path }),
    )
  })
  const list = interleave(flows, next)
  if (next() < 0.3) list.splice(Math.floor(next() * list.length), 0, jwksFetch(Math.floor(next() * 60)))
  if (next() < 0.5) {
    // A refresh (owner unknown) and a call with the token it issued, during someone's page maybe.
    const at = Math.floor(next() * 80)
    const refresh = exchange(
      'auth-server',
      at,
      { method: 'POST', url: '/token', headers: form, body: 'grant_type=refresh_token&refresh_token=R' },
      { headers: [['content-type', 'application/json']], body: `{"access_token":"TR${seed}","token_type":"Bearer"}` },
    )
    const use = exchange('resource-server', at + 2, {
      url: '/resource',
      headers: [['Authorization', `Bearer TR${seed}`]],
    })
    list.splice(Math.floor(next() * list.length), 0, refresh)
    list.splice(Math.floor(next() * list.length), 0, use)
  }
  return { list, browsers }
}

describe('a browser\u2019s flows from its candidates, over random rooms', () => {
  it('are always flowsFor over everything, as exchanges arrive and as they leave a small ring', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { list, browsers } = room(seed, 2 + (seed % 4))
      const capacity = 8 + (seed % 3) * 5
      const growing = createFingerprints()
      const ring = createFingerprints()
      for (let i = 1; i <= list.length; i++) {
        const prefix = list.slice(0, i)
        const window = list.slice(Math.max(0, i - capacity), i)
        for (const browser of browsers) {
          expect([seed, i, browser, growing.flows(browser, prefix)]).toEqual([
            seed,
            i,
            browser,
            flowsFor(prefix, viewer(browser)),
          ])
          expect([seed, i, browser, ring.of(browser, window)]).toEqual([seed, i, browser, strict(window, browser)])
        }
      }
    }
  })
})

describe('the owners\u2019 index as exchanges leave the ring', () => {
  const flowOf = (i: number, t0: number) =>
    ownedBy(`L${i}`, browserFlow({ state: `S${i}`, code: `K${i}`, token: `T${i}`, t0 }))

  it('works out again only the browsers whose exchanges left or arrived', () => {
    const a = flowOf(0, 0)
    const b = flowOf(1, 1000)
    const c = flowOf(2, 2000)
    const capacity = a.length + b.length
    const prints = createFingerprints()
    const all = [...a, ...b, ...c]
    const start = all.slice(0, capacity)
    const flowsB = prints.flows('L1', start)
    prints.of('L0', start)
    const computed = prints.stats().computed
    // Three of A's exchanges leave, three of C's arrive: B's flows stay as they were, object and all.
    const slid = all.slice(3, capacity + 3)
    expect(prints.flows('L1', slid)).toBe(flowsB)
    expect(prints.stats().computed).toBe(computed)
    expect(prints.of('L0', slid)).toBe(strict(slid, 'L0'))
    expect(prints.of('L2', slid)).toBe(strict(slid, 'L2'))
    expect(prints.stats().computed).toBe(computed + 2)
    // A script's front-channel request (no browser sees it) concerns nobody.
    const scripted = [...slid, exchange('auth-server', 2500, { url: '/authorize?state=Z' })]
    expect(prints.flows('L1', scripted)).toBe(flowsB)
    expect(prints.flows('L1', scripted)).toEqual(flowsFor(scripted, viewer('L1')))
    expect(prints.stats().computed).toBe(computed + 2)
    // A key fetch (owner unknown) leaving makes every browser worked out again.
    const withKeys = [jwksFetch(1500), ...slid]
    prints.of('L1', withKeys)
    const before = prints.stats().computed
    expect(prints.flows('L1', slid)).toEqual(flowsFor(slid, viewer('L1')))
    expect(prints.stats().computed).toBe(before + 1)
  })

  it('stays bounded by what the ring holds', () => {
    const capacity = 40
    const prints = createFingerprints()
    const list: RecordedExchange[] = []
    let peak = 0
    // Ten times the ring's capacity goes through it.
    for (let i = 0; list.length < capacity * 10; i++) list.push(...flowOf(i, i * 1000))
    for (let i = 1; i <= list.length; i++) {
      const window = list.slice(Math.max(0, i - capacity), i)
      prints.of(`L${Math.floor((i - 1) / 9)}`, window)
      peak = Math.max(peak, prints.stats().indexed)
    }
    expect(peak).toBeLessThanOrEqual(capacity * 8)
    prints.of('L0', [])
    expect(prints.stats().indexed).toBe(0)
  })
})
