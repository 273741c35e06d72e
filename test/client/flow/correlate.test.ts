import { describe, expect, it } from 'vitest'
import { correlate, flowIdOf } from '../../../src/client/flow/correlate.js'
import { checksView } from '../../../src/client/flow/checks-view.js'
import type { Flow } from '../../../src/client/flow/types.js'
import { browserFlow, exchange, jwksFetch } from './fixtures.js'
import { first, at } from '../../helpers/lists.js'

/** "step part role METHOD /path" per entry, in order. */
function layout(flow: Flow): string[] {
  return flow.entries.map(
    (e) =>
      `${e.step} ${e.part} ${e.exchange.role} ${e.exchange.request.method} ${e.exchange.request.url.split('?')[0]}`,
  )
}

function resourceStart(list: ReturnType<typeof browserFlow>): number {
  return list.find((e) => e.request.url === '/resource')!.startedAt
}

describe('correlate: a browser flow (rule 2)', () => {
  const list = browserFlow({ state: 'S1', code: 'K1', token: 'T1', t0: 1000 })
  const withJwks = [...list, jwksFetch(resourceStart(list) + 1)]

  it('follows state, interaction, code and token across the three servers, step by step', () => {
    const flows = correlate(withJwks)
    expect(flows).toHaveLength(1)
    expect(first(flows).id).toBe(flowIdOf('S1'))
    expect(first(flows).kind).toBe('browser')
    expect(layout(first(flows))).toEqual([
      '1 both client GET /connect',
      '1 request auth-server GET /authorize',
      '2 response auth-server GET /authorize',
      '2 both auth-server POST /login',
      '2 request auth-server GET /authorize',
      '3 response auth-server GET /authorize',
      '3 request auth-server POST /consent',
      '4 response auth-server POST /consent',
      '4 request client GET /authenticated',
      '5 request auth-server POST /token',
      '6 response auth-server POST /token',
      '6 response client GET /authenticated',
      '7 both client POST /fetch-resource',
      '7 both resource-server GET /resource',
      '7 both auth-server GET /jwks',
    ])
    expect(first(flows).skipped).toEqual({})
  })

  it('draws the actors: browser to servers, client to AS and RS, RS to AS for the keys', () => {
    const flow = first(correlate(withJwks), 'flow')
    const actors = (path: string) =>
      flow.entries.filter((e) => e.exchange.request.url.startsWith(path)).map((e) => `${e.from}>${e.to}`)
    expect(actors('/connect')).toEqual(['browser>client'])
    expect(actors('/login')).toEqual(['browser>auth-server'])
    expect(actors('/token')).toEqual(['client>auth-server', 'client>auth-server'])
    expect(actors('/resource')).toEqual(['client>resource-server'])
    expect(actors('/jwks')).toEqual(['resource-server>auth-server'])
  })

  it('collects the values a learner compares across steps', () => {
    const flow = first(correlate(withJwks), 'flow')
    expect(flow.checks).toEqual({
      state: 'S1',
      returnedState: 'S1',
      issuedCode: 'K1',
      redeemedCode: 'K1',
      codeChallenge: 'C',
      codeVerifier: 'V',
      accessToken: 'T1',
      tokenCheck: 'jwks',
    })
    expect(checksView(flow.checks).map((c) => [c.id, c.ok])).toEqual([
      ['state', true],
      ['code', true],
      ['pkce', false],
    ])
  })

  it('leaves out what is not part of the flow: other pages, and key fetches outside the resource call', () => {
    const noise = [
      exchange('client', 900, { url: '/' }),
      exchange('auth-server', 950, { url: '/.well-known/oauth-authorization-server' }),
      jwksFetch(resourceStart(list) + 500),
    ]
    const flow = first(correlate([...noise, ...list]), 'flow')
    expect(flow.entries.some((e) => e.exchange.startedAt === 900 || e.exchange.startedAt === 950)).toBe(false)
    expect(flow.entries.some((e) => e.exchange.request.url === '/jwks')).toBe(false)
    // jose cached the keys: the resource server checked the token without a request.
    expect(flow.checks.tokenCheck).toBe('cached-keys')
  })

  it('never counts the inspector\u2019s own JWKS fetch', () => {
    const own = exchange('auth-server', resourceStart(list) + 1, {
      url: '/jwks',
      headers: [['x-oauth-lab-inspector', 'jwks']],
    })
    const flow = first(correlate([...list, own]), 'flow')
    expect(flow.entries.some((e) => e.exchange === own)).toBe(false)
  })

  it('attaches an introspection call by its token', () => {
    const introspect = exchange(
      'auth-server',
      99_999,
      {
        method: 'POST',
        url: '/introspect',
        headers: [['Content-Type', 'application/x-www-form-urlencoded']],
        body: 'token=T1&token_type_hint=access_token',
      },
      { body: '{"active":true}' },
    )
    const flow = first(correlate([...list, introspect]), 'flow')
    expect(flow.entries.find((e) => e.exchange === introspect)).toMatchObject({
      step: 7,
      from: 'resource-server',
      to: 'auth-server',
    })
    expect(flow.checks.tokenCheck).toBe('introspect')
  })
})

describe('correlate: several flows', () => {
  it('keeps interleaved flows apart, oldest first', () => {
    const a = browserFlow({ state: 'SA', code: 'KA', token: 'TA', t0: 1000 })
    const b = browserFlow({ state: 'SB', code: 'KB', token: 'TB', t0: 1005 })
    const flows = correlate([...b, ...a])
    expect(flows.map((f) => f.id)).toEqual([flowIdOf('SA'), flowIdOf('SB')])
    expect(new Set(first(flows).entries.map((e) => e.exchange))).toEqual(new Set(a))
    expect(new Set(at(flows, 1).entries.map((e) => e.exchange))).toEqual(new Set(b))
  })

  it('shows steps 2 and 3 as skipped with a remembered decision', () => {
    const flow = first(
      correlate(browserFlow({ state: 'S2', code: 'K2', token: 'T2', t0: 5000, path: 'remembered' })),
      'flow',
    )
    expect(layout(flow).slice(0, 3)).toEqual([
      '1 both client GET /connect',
      '1 request auth-server GET /authorize',
      '4 response auth-server GET /authorize',
    ])
    expect(flow.skipped[2]).toMatch(/^Skipped: signed in\./)
    expect(flow.skipped[3]).toMatch(/^Skipped: remembered decision\./)
    expect(flow.checks.issuedCode).toBe('K2')
  })

  it('skips only step 2 when the owner is signed in but asked to consent', () => {
    const flow = first(
      correlate(browserFlow({ state: 'S3', code: 'K3', token: 'T3', t0: 5000, path: 'consent' })),
      'flow',
    )
    expect(layout(flow).slice(1, 4)).toEqual([
      '1 request auth-server GET /authorize',
      '3 response auth-server GET /authorize',
      '3 request auth-server POST /consent',
    ])
    expect(Object.keys(flow.skipped)).toEqual(['2'])
  })

  it('puts a denied request\u2019s error redirect in step 4, and skips nothing after it', () => {
    const list = browserFlow({ state: 'S4', code: 'K4', token: 'T4', t0: 1000 }).slice(0, 5)
    const consent = at(list, 4, 'consent')
    const denied = {
      ...consent,
      response: {
        ...consent.response,
        headers: [['location', 'http://localhost:3000/authenticated?error=access_denied&state=S4']] as Array<
          [string, string]
        >,
      },
    }
    const flow = first(correlate([...list.slice(0, 4), denied]), 'flow')
    expect(layout(flow).at(-1)).toBe('4 response auth-server POST /consent')
    expect(flow.entries.at(-1)!.label).toBe('303 See Other: to the redirect_uri with error=access_denied')
    expect(flow.skipped).toEqual({})
  })
})

describe('correlate: step-through mode', () => {
  it('links the previews and the teacher\u2019s "Send" requests to the flow', () => {
    const list = browserFlow({ state: 'S7', code: 'K7', token: 'T7', t0: 1000 })
    const connect = first(list, 'connect')
    const preview = exchange(
      'client',
      990,
      { url: '/connect' },
      { body: '<code>http://localhost:9001/authorize?response_type=code&amp;state=S7&amp;code_challenge=C</code>' },
    )
    const send = { ...connect, request: { ...connect.request, url: '/connect/send' } }
    const callback = list.find((e) => e.request.url.startsWith('/authenticated'))!
    const token = list.find((e) => e.request.url === '/token')!
    const held = { ...callback, durationMs: 0.2, response: { status: 200, headers: [], body: '<p>Step 5, held</p>' } }
    const sendToken = exchange(
      'client',
      token.startedAt - 1,
      { method: 'POST', url: '/authenticated/send', body: '_csrf=z' },
      { body: '<pre id="access-token">T7</pre>' },
      5,
    )
    const steps = [preview, send, ...list.slice(1).map((e) => (e === callback ? held : e)), sendToken]
    const flow = first(correlate(steps), 'flow')
    expect(
      layout(flow)
        .filter((l) => / client /.test(l))
        .slice(0, 5),
    ).toEqual([
      '1 both client GET /connect',
      '1 both client GET /connect/send',
      '4 both client GET /authenticated',
      '5 request client POST /authenticated/send',
      '6 response client POST /authenticated/send',
    ])
    expect(flow.checks.state).toBe('S7')
  })
})

describe('correlate: tagged exchanges (rule 1)', () => {
  it('groups by x-oauth-lab-flow, apart from the browser flow whose values they reuse', () => {
    const browser = browserFlow({ state: 'S5', code: 'K5', token: 'T5', t0: 1000 })
    // A Break-it attack replays the browser flow's code, tagged with its own flow id.
    const replay = exchange(
      'auth-server',
      2000,
      {
        method: 'POST',
        url: '/token',
        headers: [
          ['Content-Type', 'application/x-www-form-urlencoded'],
          ['x-oauth-lab-flow', 'replay-1'],
        ],
        body: 'grant_type=authorization_code&code=K5',
      },
      { status: 400, body: '{"error":"invalid_grant"}' },
    )
    const flows = correlate([...browser, replay])
    expect(flows.map((f) => [f.id, f.kind])).toEqual([
      [flowIdOf('S5'), 'browser'],
      ['replay-1', 'tagged'],
    ])
    expect(first(flows).entries.some((e) => e.exchange === replay)).toBe(false)
    expect(layout(at(flows, 1))).toEqual(['5 request auth-server POST /token', '6 response auth-server POST /token'])
  })

  it('places a whole tagged flow by path, and reports a code that is not the one of step 4', () => {
    const list = browserFlow({ state: 'S6', code: 'K6', token: 'T6', t0: 1000, tag: 'attack-7', redeemedCode: 'OTHER' })
    const flows = correlate(list)
    expect(flows.map((f) => f.id)).toEqual(['attack-7'])
    expect(first(flows).entries.map((e) => e.step)).toEqual([1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7])
    expect(checksView(first(flows).checks).find((c) => c.id === 'code')).toEqual({
      id: 'code',
      ok: false,
      text: 'the code redeemed in step 5 is NOT the code of step 4',
    })
  })

  it('takes in the untagged back-channel calls made with the tagged flow\u2019s code and token', () => {
    const list = browserFlow({ state: 'S8', code: 'K8', token: 'T8', t0: 1000, tag: 'attack-x' })
    // The client app redeemed the code with its own (untagged) request, then used the token.
    const untag = (e: (typeof list)[number]) => ({
      ...e,
      request: { ...e.request, headers: e.request.headers.filter(([n]) => n !== 'x-oauth-lab-flow') },
    })
    const mixed = list.map((e) => (e.request.url === '/token' || e.request.url === '/resource' ? untag(e) : e))
    const flows = correlate(mixed)
    expect(flows.map((f) => f.id)).toEqual(['attack-x'])
    expect(
      first(flows)
        .entries.filter((e) => e.exchange.request.url === '/token' || e.exchange.request.url === '/resource')
        .map((e) => e.step),
    ).toEqual([5, 6, 7])
  })

  it('hashes a tag that is not URL-safe', () => {
    const odd = exchange('client', 1, { url: '/connect', headers: [['x-oauth-lab-flow', 'a b/c']] })
    expect(first(correlate([odd])).id).toMatch(/^t[A-Za-z0-9_-]{12}$/)
  })
})
