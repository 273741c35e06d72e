import { describe, expect, it } from 'vitest'
import { first } from '../../helpers/lists.js'
import { flowsFor, isBackChannel, type Viewer } from '../../../src/client/flow/visibility.js'
import type { RecordedExchange } from '../../../src/client/flow/types.js'
import { browserFlow, exchange } from './fixtures.js'

/** Marks the front-channel exchanges (browser to a server) as `browser`'s; back-channel ones carry no browser. */
function ownedBy(browser: string | undefined, list: RecordedExchange[]): RecordedExchange[] {
  return list.map((e) => {
    const back = e.role === 'resource-server' || ['/token', '/jwks', '/introspect'].includes(e.request.url)
    return back || browser === undefined ? e : { ...e, browser }
  })
}

const A: Viewer = { kind: 'browser', browser: 'A' }
const B: Viewer = { kind: 'browser', browser: 'B' }
const ids = (viewer: Viewer, list: readonly RecordedExchange[]) => flowsFor(list, viewer).map((f) => f.checks.state)

describe('who sees which flow', () => {
  const a = ownedBy('A', browserFlow({ state: 'SA', code: 'KA', token: 'TA', t0: 0 }))
  const b = ownedBy('B', browserFlow({ state: 'SB', code: 'KB', token: 'TB', t0: 5 }))
  const script = ownedBy(undefined, browserFlow({ state: 'SS', code: 'KS', token: 'TS', t0: 7 }))
  const all = [...a, ...b, ...script]

  it('shows a browser its own flow with its back-channel steps, the lab key every flow, nobody else anything', () => {
    expect(ids(A, all)).toEqual(['SA'])
    expect(ids(B, all)).toEqual(['SB'])
    expect(ids({ kind: 'all' }, all)).toEqual(['SA', 'SB', 'SS'])
    expect(ids({ kind: 'none' }, all)).toEqual([])
    const own = first(flowsFor(all, A))
    expect(own.checks).toMatchObject({ issuedCode: 'KA', redeemedCode: 'KA', accessToken: 'TA' })
    expect(own.entries.some((x) => x.exchange.role === 'resource-server')).toBe(true)
  })

  it('drops another browser\u2019s exchanges from a flow they share (someone who handed out their own state)', () => {
    // B follows an authorization URL carrying A's state, and signs in: A must not see B's password or code.
    const lure = ownedBy('B', browserFlow({ state: 'SA', code: 'KX', token: 'TX', t0: 100 })).filter(
      (e) => e.role === 'auth-server',
    )
    const text = JSON.stringify(flowsFor([...a, ...lure], A))
    expect(text).not.toContain('KX')
    expect(text).not.toContain('TX')
    expect(JSON.stringify(flowsFor([...a, ...lure], B))).not.toContain('KA')
  })

  it('gives a Break-it flow to the browser whose POST /break answered with its id', () => {
    const attack = ownedBy(undefined, browserFlow({ state: 'SX', code: 'KX', token: 'TX', t0: 50, tag: 'attack-x-1' }))
    const started = {
      ...exchange(
        'client',
        49,
        { method: 'POST', url: '/break/replayed-code' },
        { headers: [['x-oauth-lab-flow', 'attack-x-1']] },
      ),
      browser: 'A',
    }
    expect(flowsFor([...attack, started], A).map((f) => f.id)).toEqual(['attack-x-1'])
    expect(flowsFor([...attack, started], B)).toEqual([])
    // The header on a request (which anyone can send) gives nothing.
    const forged = {
      ...exchange('client', 60, { url: '/', headers: [['x-oauth-lab-flow', 'attack-x-1']] }),
      browser: 'B',
    }
    const seen = flowsFor([...attack, started, forged], B)
    expect(JSON.stringify(seen)).not.toContain('KX')
  })

  it('counts as back channel only what a server calls without a browser (owners.ts leaves the rest out for everyone)', () => {
    const back = (role: 'auth-server' | 'resource-server', url: string) => isBackChannel(exchange(role, 0, { url }))
    expect(
      ['/token', '/introspect', '/revoke', '/jwks', '/.well-known/oauth-authorization-server'].map((u) =>
        back('auth-server', u),
      ),
    ).toEqual([true, true, true, true, true])
    expect(back('resource-server', '/resource')).toBe(true)
    expect(['/authorize', '/login', '/consent', '/register'].map((u) => back('auth-server', u))).toEqual([
      false,
      false,
      false,
      false,
    ])
  })
})
