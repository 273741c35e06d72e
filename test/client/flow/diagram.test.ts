import { describe, expect, it } from 'vitest'
import { Eta } from 'eta'
import { correlate } from '../../../src/client/flow/correlate.js'
import { layoutDiagram } from '../../../src/client/flow/diagram.js'
import { VIEWS_DIR } from '../../../src/shared/html.js'
import { browserFlow, exchange, jwksFetch } from './fixtures.js'
import { flowVerdict } from '../../../src/client/flow/verdict.js'
import type { FlowEntry, RecordedExchange } from '../../../src/client/flow/types.js'
import { first, at } from '../../helpers/lists.js'

const list = browserFlow({ state: 'S1', code: 'K1', token: 'T1', t0: 1000 })
const resource = list.find((e) => e.request.url === '/resource')!
const flow = first(correlate([...list, jwksFetch(resource.startedAt + 1)]), 'flow')
const diagram = layoutDiagram(flow.entries)

describe('the sequence diagram', () => {
  it('has the four lifelines, left to right', () => {
    expect(diagram.lanes.map((l) => l.label)).toEqual([
      'Browser (resource owner)',
      'Client app',
      'Authorization server',
      'Resource server',
    ])
  })

  it('draws each request and each answer once, in time order, a back-channel call inside the request that caused it', () => {
    expect(diagram.arrows.map((a) => a.label)).toEqual([
      '1 \u00b7 GET /connect',
      '1 \u00b7 302 \u2192 http://localhost:9001/authorize',
      '1 \u00b7 GET /authorize',
      '2 \u00b7 200 login page',
      '2 \u00b7 POST /login',
      '2 \u00b7 303 \u2192 /authorize',
      '2 \u00b7 GET /authorize',
      '3 \u00b7 200 consent page',
      '3 \u00b7 POST /consent',
      '4 \u00b7 303 code + state',
      '4 \u00b7 GET /authenticated',
      '5 \u00b7 POST /token',
      '6 \u00b7 200 access_token',
      '6 \u00b7 200 page with the token',
      '7 \u00b7 POST /fetch-resource',
      '7 \u00b7 GET /resource',
      '7 \u00b7 GET /jwks',
      '7 \u00b7 200 JWKS',
      '7 \u00b7 200 resource',
      '7 \u00b7 200 page with the resource',
    ])
    const [browser, client, auth, rs] = diagram.lanes.map((l) => l.x)
    const token = at(diagram.arrows, 11, 'token')
    expect([token.x1, token.x2, token.answer]).toEqual([client, auth, false])
    const tokenAnswer = at(diagram.arrows, 12, 'tokenAnswer')
    expect([tokenAnswer.x1, tokenAnswer.x2, tokenAnswer.answer]).toEqual([auth, client, true])
    const jwks = at(diagram.arrows, 16, 'jwks')
    expect([jwks.x1, jwks.x2]).toEqual([rs, auth])
    expect(first(diagram.arrows).x1).toBe(browser)
    expect(diagram.arrows.every((a, i) => i === 0 || a.y > at(diagram.arrows, i - 1).y)).toBe(true)
    expect(diagram.height).toBeGreaterThan(diagram.arrows.at(-1)!.y)
  })

  it('renders as inline SVG with escaped text and no external reference', () => {
    const eta = new Eta({ views: VIEWS_DIR, autoEscape: true })
    const svg = eta.render('/client/flow-diagram', {
      diagram: { ...diagram, summary: '<script>x</script>' },
      flowId: 'f1',
    })
    expect(svg).toContain('<svg class="flow-diagram" xmlns="http://www.w3.org/2000/svg" role="img"')
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;')
    expect(svg.match(/<g class="arrow/g)).toHaveLength(20)
    expect(svg).not.toMatch(/(href|src)="(?!#)/)
  })

  it('draws a "not yet" answer (a device\u2019s authorization_pending, a DPoP nonce challenge) as no refusal, as the verdict judges it', () => {
    const json: Array<[string, string]> = [['content-type', 'application/json']]
    const token = (at: number, body: string, error: string, headers: Array<[string, string]> = []) =>
      exchange(
        'auth-server',
        at,
        { method: 'POST', url: '/token', headers: [['content-type', 'application/x-www-form-urlencoded']], body },
        { status: 400, headers: [...json, ...headers], body: JSON.stringify({ error }) },
      )
    const pending = token(
      10,
      'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=D1&client_id=c',
      'authorization_pending',
    )
    const nonce = token(20, 'grant_type=authorization_code&code=K1', 'use_dpop_nonce', [['dpop-nonce', 'n1']])
    const refused = token(30, 'grant_type=authorization_code&code=K1', 'invalid_grant')
    const entryOf = (e: RecordedExchange): FlowEntry => ({
      exchange: e,
      step: 5,
      part: 'both',
      label: 'POST /token',
      from: 'client',
      to: 'auth-server',
      at: e.startedAt,
    })
    const answers = (list: RecordedExchange[]) =>
      layoutDiagram(list.map(entryOf))
        .arrows.filter((a) => a.answer)
        .map((a) => a.failed)
    expect(answers([pending, nonce, refused])).toEqual([false, false, true])
    // The verdict agrees: the first two go on, the third stops the flow.
    expect(flowVerdict({ entries: [pending, nonce].map(entryOf) }).outcome).not.toBe('stopped')
    expect(flowVerdict({ entries: [pending, nonce, refused].map(entryOf) })).toMatchObject({
      outcome: 'stopped',
      entryIndex: 2,
    })
  })
})
