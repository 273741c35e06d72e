import { describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import { AUTH_SESSION_COOKIE } from '../../src/auth-server/account/sign-in-session.js'
import { CLIENT_SESSION_COOKIE } from '../../src/client/app.js'
import { BROWSER_COOKIE, MASKED, MASKED_COOKIES, browserHash } from '../../src/shared/flow-masking.js'
import { createFlowRecorder, MAX_BODY, MAX_WAITERS, setUpFlowRecorder } from '../../src/shared/flow-recorder.js'
import { registerFormBody } from '../../src/shared/form-body.js'
import { registerLabExchangesRoute } from '../../src/shared/lab-exchanges-route.js'
import { first } from '../helpers/lists.js'
import { LAB_KEY_COOKIE, registerLabKey } from '../../src/shared/lab-key.js'

/** The app's lab key: GET /_lab/exchanges is a lab power. */
const LAB_KEY = 'l'.repeat(43)
const keyed = { authorization: `Bearer ${LAB_KEY}` }

async function recordedApp(enabled = true, capacity = 100) {
  const app = Fastify({ logger: false })
  await registerFormBody(app)
  registerLabKey(app, LAB_KEY)
  const recorder = setUpFlowRecorder(app, 'auth-server', { enabled, capacity })
  // As each app.ts does: the route only with the inspector on.
  if (enabled) registerLabExchangesRoute(app, recorder)
  app.post('/token', async (request, reply) => reply.header('cache-control', 'no-store').send({ got: request.body }))
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/authorize', async (_request, reply) =>
    reply.redirect('http://localhost:3000/authenticated?code=abc&state=xyz', 302),
  )
  return app
}

describe('the flow recorder', () => {
  it('records the request exactly as sent: line, headers in wire order, raw body', async () => {
    const app = await recordedApp()
    const payload =
      'grant_type=authorization_code&code=8V1pr0rJ&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated'
    await app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        authorization: 'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload,
    })
    const exchange = first(app.flowRecorder.since(0), 'exchange')
    expect(exchange.role).toBe('auth-server')
    expect(exchange.request.method).toBe('POST')
    expect(exchange.request.url).toBe('/token')
    expect(exchange.request.body).toBe(payload)
    expect(exchange.request.headers).toContainEqual([
      'authorization',
      'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x',
    ])
    expect(exchange.response.status).toBe(200)
    expect(exchange.response.headers).toContainEqual(['cache-control', 'no-store'])
    expect(JSON.parse(exchange.response.body!)).toEqual({
      got: { grant_type: 'authorization_code', code: '8V1pr0rJ', redirect_uri: 'http://localhost:3000/authenticated' },
    })
    expect(exchange.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('records redirects with their Location', async () => {
    const app = await recordedApp()
    await app.inject({ method: 'GET', url: '/authorize?state=xyz' })
    const exchange = first(app.flowRecorder.since(0), 'exchange')
    expect(exchange.response.status).toBe(302)
    expect(exchange.response.headers).toContainEqual([
      'location',
      'http://localhost:3000/authenticated?code=abc&state=xyz',
    ])
  })

  it('leaves out health checks and its own endpoint, and serves the rest at /_lab/exchanges?since=', async () => {
    const app = await recordedApp()
    await app.inject({ method: 'GET', url: '/healthz' })
    await app.inject({ method: 'GET', url: '/authorize?a=1' })
    await app.inject({ method: 'GET', url: '/authorize?a=2' })
    const all = (await app.inject({ method: 'GET', url: '/_lab/exchanges', headers: keyed })).json()
    expect(all.role).toBe('auth-server')
    expect(all.exchanges.map((e: { request: { url: string } }) => e.request.url)).toEqual([
      '/authorize?a=1',
      '/authorize?a=2',
    ])
    const newer = (
      await app.inject({ method: 'GET', url: `/_lab/exchanges?since=${all.exchanges[0].seq}`, headers: keyed })
    ).json()
    expect(newer.exchanges.map((e: { request: { url: string } }) => e.request.url)).toEqual(['/authorize?a=2'])
    // Only to the lab key: every browser's traffic is a lab power.
    const keyless = await app.inject({ method: 'GET', url: '/_lab/exchanges' })
    expect(keyless.statusCode).toBe(401)
    expect(keyless.body).not.toContain('/authorize')
  })

  it('long-polls with &wait=: the answer waits for the next exchange, and app.close() does not wait for it', async () => {
    const app = await recordedApp()
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const first = (await (await fetch(`${base}/_lab/exchanges`, { headers: keyed })).json()) as {
      boot: string
      exchanges: unknown[]
    }
    expect(first.exchanges).toEqual([])
    expect(first.boot).toMatch(/^[0-9a-f-]{36}$/)
    let answered = false
    const held = fetch(`${base}/_lab/exchanges?since=0&wait=20000`, { headers: keyed }).then(async (res) => {
      answered = true
      return (await res.json()) as { boot: string; seq: number; exchanges: Array<{ request: { url: string } }> }
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(answered).toBe(false)
    await fetch(`${base}/authorize?a=1`, { redirect: 'manual' })
    const got = await held
    expect(got.exchanges.map((e) => e.request.url)).toEqual(['/authorize?a=1'])
    expect(got.boot).toBe(first.boot)
    expect(got.seq).toBe(1)
    // Nothing newer than seq 1 yet: held again, and released at once by close.
    const waiting = fetch(`${base}/_lab/exchanges?since=1&wait=20000`, { headers: keyed }).then((res) => res.json())
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closing = Date.now()
    await app.close()
    expect(await waiting).toMatchObject({ exchanges: [] })
    expect(Date.now() - closing).toBeLessThan(5000)
    // A wait longer than the cap is refused (400), not held.
    const again = await recordedApp()
    expect((await again.inject({ method: 'GET', url: '/_lab/exchanges?wait=25001', headers: keyed })).statusCode).toBe(
      400,
    )
  })

  it('waitNewer: at once when something newer exists, on the next exchange, on abort, and never more than MAX_WAITERS', async () => {
    const recorder = createFlowRecorder('auth-server', 10)
    const never = new AbortController().signal
    const exchange = {
      startedAt: 0,
      durationMs: 1,
      request: { method: 'GET', url: '/x', httpVersion: '1.1', headers: [] },
      response: { status: 200, headers: [] },
    }
    const order: string[] = []
    const next = recorder.waitNewer(0, 20_000, never).then(() => order.push('next'))
    const aborted = new AbortController()
    const gone = recorder.waitNewer(0, 20_000, aborted.signal).then(() => order.push('aborted'))
    aborted.abort()
    await gone
    recorder.add(exchange)
    await next
    expect(order).toEqual(['aborted', 'next'])
    // Something newer than 0 exists: no wait.
    await recorder.waitNewer(0, 20_000, never)
    // MAX_WAITERS hold; one more is answered at once.
    const held = Array.from({ length: MAX_WAITERS }, () => recorder.waitNewer(1, 20_000, never))
    await recorder.waitNewer(1, 20_000, never)
    recorder.releaseWaiters()
    await Promise.all(held)
  })

  it("times each exchange, by its own hook without a logger and by Fastify's reply.elapsedTime with one", async () => {
    for (const timedByFastify of [false, true]) {
      const app = Fastify({ logger: timedByFastify ? { level: 'silent' } : false })
      setUpFlowRecorder(app, 'resource-server', { enabled: true, capacity: 10 }, { timedByFastify })
      app.get('/slow', async () => {
        await new Promise((resolve) => setTimeout(resolve, 30))
        return { ok: true }
      })
      const before = Date.now()
      await app.inject({ method: 'GET', url: '/slow' })
      const after = Date.now()
      const exchange = first(app.flowRecorder.since(0), 'exchange')
      expect(exchange.durationMs).toBeGreaterThanOrEqual(25)
      expect(exchange.durationMs).toBeLessThanOrEqual(after - before + 2)
      // It started within the inject call (clocks rounded to the millisecond).
      expect(exchange.startedAt).toBeGreaterThanOrEqual(before - 2)
      expect(exchange.startedAt + exchange.durationMs).toBeLessThanOrEqual(after + 2)
      // With Fastify timing the request, the recorder adds no onRequest hook of its own.
      expect(app.printRoutes({ includeHooks: true }).includes('(onRequest)')).toBe(!timedByFastify)
      await app.close()
    }
  })

  it('keeps at most its capacity (a ring)', async () => {
    const app = await recordedApp(true, 3)
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: `/authorize?i=${i}` })
    expect(app.flowRecorder.since(0).map((e) => e.request.url)).toEqual([
      '/authorize?i=2',
      '/authorize?i=3',
      '/authorize?i=4',
    ])
  })

  it('wraps around its ring in order: since(seq) gives exactly the newer ones, oldest first, and clear() empties it', () => {
    const recorder = createFlowRecorder('client', 4)
    const add = (url: string) =>
      recorder.add({
        startedAt: 0,
        durationMs: 1,
        request: { method: 'GET', url, httpVersion: '1.1', headers: [] },
        response: { status: 200, headers: [] },
      })
    for (let i = 1; i <= 10; i++) add(`/${i}`)
    const urls = (after: number) => recorder.since(after).map((e) => `${e.seq}${e.request.url}`)
    expect(urls(0)).toEqual(['7/7', '8/8', '9/9', '10/10'])
    expect(urls(8)).toEqual(['9/9', '10/10'])
    expect(urls(10)).toEqual([])
    recorder.clear()
    expect(urls(0)).toEqual([])
    add('/11')
    expect(urls(0)).toEqual(['11/11'])
  })

  it('records nothing and serves no endpoint when the inspector is off', async () => {
    const app = await recordedApp(false)
    await app.inject({ method: 'GET', url: '/authorize' })
    expect(app.flowRecorder.since(0)).toEqual([])
    expect((await app.inject({ method: 'GET', url: '/_lab/exchanges', headers: keyed })).statusCode).toBe(404)
  })

  it('tells subscribers about each new exchange', () => {
    const recorder = createFlowRecorder('client', 10)
    const seen: number[] = []
    const stop = recorder.subscribe((e) => seen.push(e.seq))
    const blank = {
      startedAt: 0,
      durationMs: 0,
      request: { method: 'GET', url: '/', httpVersion: '1.1', headers: [] },
      response: { status: 200, headers: [] },
    }
    recorder.add(blank)
    recorder.add(blank)
    stop()
    recorder.add(blank)
    expect(seen).toEqual([1, 2])
  })

  describe('masking, at recording time', () => {
    const KEY = 'k'.repeat(43)
    const BROWSER_ID = 'b'.repeat(43)
    const AS_SID = 'as-session-value.signature'

    it('masks the names of every lab credential cookie, which are the names the servers really use', () => {
      expect([...MASKED_COOKIES].sort()).toEqual(
        [AUTH_SESSION_COOKIE, CLIENT_SESSION_COOKIE, LAB_KEY_COOKIE, BROWSER_COOKIE].sort(),
      )
    })

    it('keeps the cookie names, masks their values, and records the browser by a hash only', async () => {
      const app = await recordedApp()
      await app.inject({
        method: 'GET',
        url: `/authorize?state=s&lab_key=${KEY}`,
        headers: {
          cookie: `theme=dark; ${AUTH_SESSION_COOKIE}=${AS_SID}; ${BROWSER_COOKIE}=${BROWSER_ID}; ${LAB_KEY_COOKIE}=${KEY}`,
          referer: `http://localhost:3000/?lab_key=${KEY}`,
        },
      })
      const exchange = first(app.flowRecorder.since(0))
      const text = JSON.stringify(exchange)
      for (const secret of [KEY, BROWSER_ID, AS_SID]) expect(text).not.toContain(secret)
      expect(exchange.request.headers).toContainEqual([
        'cookie',
        `theme=dark; ${AUTH_SESSION_COOKIE}=${MASKED}; ${BROWSER_COOKIE}=${MASKED}; ${LAB_KEY_COOKIE}=${MASKED}`,
      ])
      expect(exchange.request.url).toBe(`/authorize?state=s&lab_key=${MASKED}`)
      expect(exchange.request.headers).toContainEqual(['referer', `http://localhost:3000/?lab_key=${MASKED}`])
      expect(exchange.browser).toBe(browserHash(BROWSER_ID))
      expect(exchange.browser).not.toContain(BROWSER_ID.slice(0, 10))
      // What GET /_lab/exchanges serves is what was kept.
      const served = (await app.inject({ method: 'GET', url: '/_lab/exchanges', headers: keyed })).body
      for (const secret of [KEY, BROWSER_ID, AS_SID]) expect(served).not.toContain(secret)
    })

    it('masks Set-Cookie values and a Bearer lab key on /_lab/*, and leaves other credentials alone', async () => {
      const app = await recordedApp()
      app.get('/sign-in', async (_request, reply) =>
        reply.header('set-cookie', [`${LAB_KEY_COOKIE}=${KEY}; Path=/; HttpOnly`, 'theme=dark']).send('ok'),
      )
      await app.inject({ method: 'GET', url: '/sign-in' })
      const recorder = createFlowRecorder('auth-server', 10)
      recorder.add({
        startedAt: 0,
        durationMs: 1,
        request: {
          method: 'POST',
          url: '/_lab/tokens',
          httpVersion: '1.1',
          headers: [['Authorization', `Bearer ${KEY}`]],
        },
        response: { status: 200, headers: [] },
      })
      const signIn = first(app.flowRecorder.since(0))
      expect(signIn.response.headers).toContainEqual(['set-cookie', `${LAB_KEY_COOKIE}=${MASKED}; Path=/; HttpOnly`])
      expect(signIn.response.headers).toContainEqual(['set-cookie', 'theme=dark'])
      expect(first(recorder.since(0)).request.headers).toEqual([['Authorization', `Bearer ${MASKED}`]])
      // The flow's own secrets are the lesson: a Basic header elsewhere is kept as sent.
      await app.inject({ method: 'POST', url: '/token', headers: { authorization: `Basic ${KEY}` } })
      expect(app.flowRecorder.since(0).at(-1)!.request.headers).toContainEqual(['authorization', `Basic ${KEY}`])
    })

    it('records the Set-Cookie a later onSend hook writes (a session plugin), its value masked', async () => {
      const app = await recordedApp()
      // As the session plugins do: their onSend hook runs after the recorder's.
      await app.register(async (scoped) => {
        scoped.addHook('onSend', async (_request, reply, payload) => {
          reply.header('set-cookie', `${CLIENT_SESSION_COOKIE}=${AS_SID}; Path=/; HttpOnly; SameSite=Lax`)
          return payload
        })
        scoped.get('/connect', async (_request, reply) => reply.redirect('http://localhost:9001/authorize', 302))
      })
      await app.inject({ method: 'GET', url: '/connect' })
      const connect = first(app.flowRecorder.since(0))
      expect(connect.response.headers).toContainEqual([
        'set-cookie',
        `${CLIENT_SESSION_COOKIE}=${MASKED}; Path=/; HttpOnly; SameSite=Lax`,
      ])
      expect(JSON.stringify(connect)).not.toContain(AS_SID)
    })
  })
})

describe('the flow recorder stays bounded in bytes', () => {
  it('keeps a large body, accepted or refused, only up to MAX_BODY, and says it was cut', async () => {
    const app = await recordedApp()
    app.post('/refuse', async (_request, reply) => reply.code(400).send('x'.repeat(3 * MAX_BODY)))
    const big = `grant_type=${'a'.repeat(3 * MAX_BODY)}`
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    await app.inject({ method: 'POST', url: '/refuse', headers, payload: big })
    const refused = first(app.flowRecorder.since(0))
    expect(refused.response.status).toBe(400)
    expect(refused.request.body).toBe(big.slice(0, MAX_BODY))
    expect(refused.request.truncated).toBe(true)
    expect(refused.response.body).toHaveLength(MAX_BODY)
    expect(refused.response.truncated).toBe(true)
  })

  it('drops the oldest exchanges once the ring holds its byte budget, whatever its count capacity', () => {
    const budget = 200 * 1024
    const recorder = createFlowRecorder('client', 1000, budget)
    const exchange = (n: number) => ({
      startedAt: n,
      durationMs: 1,
      request: { method: 'POST', url: `/x/${n}`, httpVersion: '1.1', headers: [], body: 'b'.repeat(MAX_BODY) },
      response: { status: 200, headers: [], body: 'r'.repeat(MAX_BODY) },
    })
    for (let n = 0; n < 100; n++) recorder.add(exchange(n))
    const kept = recorder.since(0)
    // Each exchange holds two 16 KiB bodies: about six fit in 200 KiB.
    expect(kept.length).toBeGreaterThanOrEqual(5)
    expect(kept.length).toBeLessThanOrEqual(7)
    expect(kept.at(-1)?.request.url).toBe('/x/99')
    expect(kept.map((e) => e.seq)).toEqual([...kept.keys()].map((i) => 100 - kept.length + 1 + i))
    const held = kept.reduce((sum, e) => sum + (e.request.body?.length ?? 0) + (e.response.body?.length ?? 0), 0)
    expect(held).toBeLessThanOrEqual(budget)
  })
})
