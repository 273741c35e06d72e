// The view model gives an unchanged entry the same EntryView object back (its
// HTML is then rendered once: render-section.ts), and a new one whenever what
// the entry shows changes: its place, its fold, its label, or its token's
// signature when the authorization server's keys change.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { correlate } from '../../../src/client/flow/correlate.js'
import { createJwksSource, type JwksSource } from '../../../src/client/flow/jwks.js'
import { panelsOf } from '../../../src/client/flow/panels.js'
import type { Flow, RecordedExchange } from '../../../src/client/flow/types.js'
import { flowView, type EntryView, type FlowView, type PanelView } from '../../../src/client/flow/view-model.js'
import { startJwksFixture, type JwksFixture } from '../../helpers/jwks-fixture.js'
import { first } from '../../helpers/lists.js'
import { browserFlow } from './fixtures.js'

const DAY = 86_400
let keys: JwksFixture
let rotated: JwksFixture
let jwks: JwksSource
let exchanges: RecordedExchange[]
let flow: Flow

beforeAll(async () => {
  keys = await startJwksFixture()
  // The same kid, another key pair: the authorization server restarted with new keys.
  rotated = await startJwksFixture('ES256', keys.kid)
  jwks = createJwksSource(fetch, `${keys.url}/jwks`)
  // Days away from now, so "issued 3 days ago" reads the same at both renderings of a test.
  const now = Math.floor(Date.now() / 1000)
  const token = await keys.sign({ sub: 'alice', iat: now - 3 * DAY, exp: now + 3 * DAY, aud: 'http://localhost:9002' })
  exchanges = browserFlow({ state: 'S1', code: 'K1', token, t0: 1000 })
  flow = first(correlate(exchanges), 'flow')
})
afterAll(async () => {
  await keys.close()
  await rotated.close()
})

/** The view's entries in the flow's order (the steps group them: an entry moved to step 7 is listed there). */
const entriesOf = (view: FlowView): EntryView[] =>
  view.steps.flatMap((step) => step.entries).sort((a, b) => Number(a.anchor.slice(1)) - Number(b.anchor.slice(1)))
const jwtPanels = (view: FlowView) =>
  entriesOf(view)
    .flatMap((entry) => entry.panels)
    .filter((p): p is Extract<PanelView, { kind: 'jwt' }> => p.kind === 'jwt')

describe('flowView: one EntryView per unchanged entry', () => {
  it('gives the same EntryView objects when the same flow is rendered again', async () => {
    const once = entriesOf(await flowView(flow, jwks))
    const again = entriesOf(await flowView(flow, jwks))
    expect(once).toHaveLength(flow.entries.length)
    again.forEach((entry, i) => expect(entry).toBe(once[i]))
    // The flow is correlated anew at each update (new FlowEntry objects, same exchanges): still the same views.
    const recorrelated = entriesOf(await flowView(first(correlate(exchanges), 'flow'), jwks))
    recorrelated.forEach((entry, i) => expect(entry).toBe(once[i]))
  })

  it('re-uses the earlier entries when the flow gains an exchange', async () => {
    // The flow before step 7 (the learner has not fetched the resource yet), then with its two exchanges.
    const before = entriesOf(await flowView(first(correlate(exchanges.slice(0, -2)), 'flow'), jwks))
    const after = entriesOf(await flowView(flow, jwks))
    expect(after).toHaveLength(before.length + 2)
    before.forEach((entry, i) => expect(after[i]).toBe(entry))
    expect(after.at(-1)!.label).toContain('GET /resource')
  })

  it('gives a new EntryView when the entry’s label, anchor or fold changes, and keeps the others', async () => {
    const base = entriesOf(await flowView(flow, jwks))
    const relabelled = entriesOf(
      await flowView(
        { ...flow, entries: flow.entries.map((e, i) => (i === 3 ? { ...e, label: 'renamed' } : e)) },
        jwks,
      ),
    )
    expect(relabelled[3]).not.toBe(base[3])
    expect(relabelled[3]!.label).toBe('renamed')
    relabelled.forEach((entry, i) => i === 3 || expect(entry).toBe(base[i]))

    // Without the first entry every anchor moves up by one.
    const shifted = entriesOf(await flowView({ ...flow, entries: flow.entries.slice(1) }, jwks))
    expect(shifted[2]!.label).toBe(base[3]!.label)
    expect(shifted[2]!.anchor).toBe('x3')
    expect(shifted[2]).not.toBe(base[3])

    // Entry 1 (GET /authorize) is folded as "the redirect above, followed" because entry 0 is the
    // redirect; with another exchange before it (same place, same label) it is shown.
    expect(base[1]!.folded).toBe('the redirect above, followed')
    const other = flow.entries.find((e) => e.part === 'both' && e.exchange.request.url === '/fetch-resource')!
    const unfolded = entriesOf(
      await flowView({ ...flow, entries: flow.entries.map((e, i) => (i === 0 ? other : e)) }, jwks),
    )
    expect(unfolded[1]!.anchor).toBe(base[1]!.anchor)
    expect(unfolded[1]!.folded).toBeUndefined()
    expect(unfolded[1]).not.toBe(base[1])
  })

  it('checks the token again when the keys change: a signature result is never stale', async () => {
    let source = jwks
    const switching: JwksSource = { get: (kid) => source.get(kid) }
    const good = await flowView(flow, switching)
    expect(jwtPanels(good).map((p) => p.signature.status)).toEqual(['valid', 'valid'])

    source = createJwksSource(fetch, `${rotated.url}/jwks`)
    const afterRotation = await flowView(flow, switching)
    expect(jwtPanels(afterRotation).map((p) => p.signature.status)).toEqual(['invalid', 'invalid'])
    const withJwt = (view: FlowView) => entriesOf(view).filter((e) => e.panels.some((p) => p.kind === 'jwt'))
    withJwt(afterRotation).forEach((entry, i) => expect(entry).not.toBe(withJwt(good)[i]))

    // The original keys again: valid again.
    source = jwks
    expect(jwtPanels(await flowView(flow, switching)).map((p) => p.signature.status)).toEqual(['valid', 'valid'])
  })
})

describe('panelsOf', () => {
  it('gives the same panels for the same exchange and part, whichever entry asks', () => {
    const [entry] = flow.entries
    expect(panelsOf({ ...entry! })).toBe(panelsOf(entry!))
    const token = flow.entries.find((e) => e.exchange.request.url === '/token' && e.part === 'request')!
    expect(panelsOf(token).map((p) => p.kind)).toEqual(['basic', 'table'])
    expect(panelsOf({ ...token, part: 'both' })).toEqual([
      ...panelsOf(token),
      ...panelsOf({ ...token, part: 'response' }),
    ])
  })
})
