// Each browser sees only its own flows in the flow inspector, over real HTTP:
// two browsers (two cookie jars) run a flow each, as alice and as bob; a third
// never runs one. Pages, fragments, JSON, every export and the live stream of
// one never carry the other's code, tokens, password or state; another's flow
// is 404 (never "forbidden"); the lab key's holder sees both. The recorders
// keep neither the authorization server's session cookie on the client's side
// nor the lab key, anywhere.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIVE_PER_BROWSER, LIVE_TOTAL } from '../../src/client/flow/live.js'
import { randomSecret } from '../../src/shared/random.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

type Browser = ReturnType<typeof httpBrowser>

interface Ran {
  readonly browser: Browser
  readonly user: string
  readonly password: string
  readonly code: string
  readonly state: string
  readonly id: string
  readonly accessToken: string
  /** The authorization server's sign-in session cookie, as this browser holds it. */
  readonly asSession: string
}

let lab: TestLab
let base: string
let alice: Ran
let bob: Ran
const anonymous = httpBrowser()

const EXPORTS = ['transcript.md', 'curl.sh', 'flow.har']

/** A whole flow in `browser`, as `user`: Connect, sign in, allow, back with a code, fetch the resource. */
async function runFlow(browser: Browser, user: string): Promise<Ran> {
  const password = `${user}-password`
  const connect = await browser.get(`${base}/connect`)
  let res = await browser.get(browser.location(connect))
  const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    username: user,
    password,
  })
  res = await browser.get(browser.location(signedIn))
  res = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    decision: 'allow',
  })
  const callback = new URL(browser.location(res))
  const page = await browser.get(callback.href)
  expect(page.status).toBe(200)
  const fetched = await browser.post(`${base}/fetch-resource`, { _csrf: hiddenField(page.body, '_csrf') })
  expect(fetched.status).toBe(200)
  const json = JSON.parse((await browser.get(`${base}/flow/latest.json`)).body) as {
    id: string
    checks: { accessToken: string; state: string }
  }
  expect(json.checks.state).toBe(callback.searchParams.get('state'))
  const asSession = browser.cookie(lab.config.auth.publicUrl, 'oauth_lab_as_sid')
  expect(asSession).toBeDefined()
  return {
    browser,
    user,
    password,
    code: callback.searchParams.get('code')!,
    state: callback.searchParams.get('state')!,
    id: json.id,
    accessToken: json.checks.accessToken,
    asSession: asSession!,
  }
}

/** What only `ran`'s owner may ever see (the login page lists the built-in passwords: the sign-in form's field is the secret). */
const secretsOf = (ran: Ran) => [ran.code, ran.state, ran.accessToken, `password=${ran.password}`, ran.asSession]

/** Everything the inspector serves a browser about flows: pages, fragments, JSON and every export of `ids`. */
async function everything(browser: Browser, ids: readonly string[]): Promise<Array<{ path: string; body: string }>> {
  const paths = ['/flow', '/flow?fragment=1', '/flow/latest', '/flow/latest.json']
  for (const id of ids) paths.push(`/flow/${id}`, `/flow/${id}?fragment=1`, `/flow/${id}.json`)
  for (const id of ids) for (const file of EXPORTS) paths.push(`/flow/${id}/${file}`)
  return Promise.all(paths.map(async (path) => ({ path, body: (await browser.get(`${base}${path}`)).body })))
}

function expectNone(served: ReadonlyArray<{ path: string; body: string }>, secrets: readonly string[]): void {
  for (const { path, body } of served)
    for (const secret of secrets) expect([path, body.includes(secret)]).toEqual([path, false])
}

const bearer = () => ({ authorization: `Bearer ${lab.config.labKey}` })

beforeAll(async () => {
  lab = await startTestLab()
  base = lab.config.client.publicUrl
  alice = await runFlow(httpBrowser(), 'alice')
  bob = await runFlow(httpBrowser(), 'bob')
})
afterAll(() => lab.close())

describe('each browser sees only its own flows', () => {
  it('shows each browser its own flow, and never the other browser\u2019s code, tokens, password or state', async () => {
    for (const [own, other] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const page = await own.browser.get(`${base}/flow`)
      expect(page.body).toContain(`data-flow-id="${own.id}"`)
      expect(page.body).toContain(own.code)
      expect(page.body).toContain('<strong>Your flows</strong>')
      expect(page.body).not.toContain(`/flow/${other.id}`)
      const served = await everything(own.browser, [own.id])
      expect(served.filter(({ body }) => !body.includes(own.state)).map(({ path }) => path)).toEqual([])
      expectNone(served, [...secretsOf(other), other.id])
    }
  })

  it('answers 404 for the other browser\u2019s flow, exactly as for a flow that does not exist', async () => {
    for (const path of [`/flow/${bob.id}`, `/flow/${bob.id}.json`, ...EXPORTS.map((f) => `/flow/${bob.id}/${f}`)]) {
      const theirs = await alice.browser.get(`${base}${path}`)
      const none = await alice.browser.get(`${base}${path.replace(bob.id, 'fNoSuchFlow00')}`)
      expect([path, theirs.status]).toEqual([path, 404])
      expect(theirs.body.replaceAll(bob.id, 'X')).toBe(none.body.replaceAll('fNoSuchFlow00', 'X'))
      expectNone([{ path, body: theirs.body }], secretsOf(bob))
    }
  })

  it('shows a browser that took part in no flow an empty inspector that says how to start one', async () => {
    const page = await anonymous.get(`${base}/flow`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('No flow yet: press Connect')
    expect(page.body).toContain('<p class="muted">None yet.</p>')
    expectNone(await everything(anonymous, [alice.id, bob.id]), [...secretsOf(alice), ...secretsOf(bob)])
    expect((await anonymous.get(`${base}/flow/${alice.id}.json`)).status).toBe(404)
    // Looking creates nothing: no cookie, no session.
    expect(page.headers.get('set-cookie')).toBeNull()
  })

  it('shows the lab key\u2019s holder every flow, with the Bearer header and with the cookie', async () => {
    const withBearer = await fetch(`${base}/flow`, { headers: bearer() })
    const html = await withBearer.text()
    expect(html).toContain('<strong>Every flow</strong>: you hold the lab key')
    for (const ran of [alice, bob]) {
      expect(html).toContain(`href="/flow/${ran.id}"`)
      const json = await fetch(`${base}/flow/${ran.id}.json`, { headers: bearer() })
      expect(json.status).toBe(200)
      expect(((await json.json()) as { checks: { state: string } }).checks.state).toBe(ran.state)
    }
    const teacher = httpBrowser()
    const keyed = await teacher.get(`${base}/flow?lab_key=${lab.config.labKey}`)
    expect(keyed.status).toBe(303)
    const page = await teacher.get(`${base}/flow`)
    for (const ran of [alice, bob]) {
      expect(page.body).toContain(`href="/flow/${ran.id}"`)
      expect((await teacher.get(`${base}/flow/${ran.id}/transcript.md`)).body).toContain(ran.code)
    }
  })

  it('says at the top of every export that it holds live credentials', async () => {
    const top = (body: string) => body.split('\n').slice(0, 4).join('\n')
    for (const file of EXPORTS) {
      const body = (await alice.browser.get(`${base}/flow/${alice.id}/${file}`)).body
      expect([file, top(body)]).toEqual([file, expect.stringMatching(/live credentials \(passwords, codes, tokens\)/)])
    }
    const json = JSON.parse((await alice.browser.get(`${base}/flow/${alice.id}.json`)).body) as Record<string, unknown>
    expect(Object.keys(json)[0]).toBe('warning')
    expect(json.warning).toMatch(/live credentials .* the person whose flow it is/)
  })
})

describe('Break it', () => {
  it('shows an attack to the browser that ran it only', async () => {
    const page = await alice.browser.get(`${base}/break`)
    const run = await alice.browser.post(`${base}/break/replayed-code`, { _csrf: hiddenField(page.body, '_csrf') })
    expect(run.status).toBe(200)
    const flowId = run.headers.get('x-oauth-lab-flow')!
    expect(run.body).toContain(`<a id="flow-link" href="/flow/${flowId}">`)
    const own = await alice.browser.get(`${base}/flow/${flowId}.json`)
    expect(own.status).toBe(200)
    expect((JSON.parse(own.body) as { kind: string }).kind).toBe('tagged')
    expect((await alice.browser.get(`${base}/flow`)).body).toContain(`href="/flow/${flowId}"`)
    for (const other of [bob.browser, anonymous]) {
      expect((await other.get(`${base}/flow/${flowId}.json`)).status).toBe(404)
      expect((await other.get(`${base}/flow`)).body).not.toContain(flowId)
    }
    expect((await fetch(`${base}/flow/${flowId}.json`, { headers: bearer() })).status).toBe(200)
  })
})

describe('masking', () => {
  it('never serves the authorization server\u2019s session cookie from the client app, and names it as masked', async () => {
    const served = [
      ...(await everything(alice.browser, [alice.id])),
      { path: 'lab key view', body: await (await fetch(`${base}/flow/${alice.id}`, { headers: bearer() })).text() },
      {
        path: 'client /_lab/exchanges',
        body: await (await fetch(`${base}/_lab/exchanges`, { headers: bearer() })).text(),
      },
    ]
    expectNone(served, [alice.asSession, bob.asSession])
    const page = (await alice.browser.get(`${base}/flow/${alice.id}`)).body
    expect(page).toMatch(
      /<li data-masked="oauth_lab_as_sid"><code>oauth_lab_as_sid<\/code> is shown with its value masked/,
    )
    expect(page).toContain('cookies ignore ports on localhost')
    expect(page).toContain('oauth_lab_as_sid=(masked)')
    // The client's side really did receive it: it is masked, not missing.
    const callback = lab.client.flowRecorder.since(0).find((e) => e.request.url.startsWith('/authenticated'))!
    expect(callback.request.headers.find(([n]) => n === 'cookie')![1]).toContain('oauth_lab_as_sid=(masked)')
  })

  it('never records the lab key, on any server, however it is sent', async () => {
    const key = lab.config.labKey
    const teacher = httpBrowser()
    await teacher.get(`${base}/?lab_key=${key}`)
    expect(teacher.cookie(base, 'oauth_lab_key')).toBe(key)
    // The key's cookie now goes to every port, with the key in a Referer too.
    await teacher.get(`${base}/`)
    await teacher.get(`${lab.config.auth.publicUrl}/.well-known/oauth-authorization-server`)
    await teacher.get(`${lab.config.resource.publicUrl}/.well-known/oauth-protected-resource`)
    await teacher.get(`${lab.config.auth.publicUrl}/authorize?client_id=nobody&lab_key=${key}`)
    const recordedPaths = [
      `${lab.config.auth.publicUrl}/.well-known/oauth-authorization-server`,
      `${lab.config.resource.publicUrl}/.well-known/oauth-protected-resource`,
      `${base}/`,
    ]
    for (const url of recordedPaths) {
      await fetch(url, { headers: { ...bearer(), referer: `${base}/flow?lab_key=${key}` } })
    }
    for (const url of [lab.config.auth.publicUrl, lab.config.resource.publicUrl, base]) {
      await fetch(`${url}/_lab/exchanges`, { headers: bearer() })
    }
    for (const app of [lab.auth, lab.resource, lab.client]) {
      const recorded = JSON.stringify(app.flowRecorder.since(0))
      const role = app.flowRecorder.role
      expect([role, recorded.includes('oauth_lab_key=(masked)'), recorded.includes(key)]).toEqual([role, true, false])
      expect([role, recorded.includes('Bearer (masked)')]).toEqual([role, true])
    }
    for (const url of [lab.config.auth.publicUrl, lab.config.resource.publicUrl, base]) {
      const served = await (await fetch(`${url}/_lab/exchanges`, { headers: bearer() })).text()
      expect([url, served.includes(key)]).toEqual([url, false])
    }
  })
})

/** Reads a stream for `ms` and returns what came. */
async function listen(response: Response, ms: number, until: (text: string) => boolean = () => false): Promise<string> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let received = ''
  const deadline = Date.now() + ms
  while (!until(received) && Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<undefined>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
    ])
    if (!chunk || chunk.done) break
    received += decoder.decode(chunk.value)
  }
  await reader.cancel().catch(() => undefined)
  return received
}

function stream(cookie: string | undefined, signal: AbortSignal): Promise<Response> {
  return fetch(`${base}/flow/events`, { headers: cookie === undefined ? {} : { cookie }, signal })
}

describe('live updates', () => {
  it('tells a browser\u2019s stream only about its own flows', async () => {
    const controller = new AbortController()
    try {
      const [aliceStream, bobStream] = await Promise.all([
        stream(alice.browser.cookieFor(base), controller.signal),
        stream(bob.browser.cookieFor(base), controller.signal),
      ])
      expect(aliceStream.status).toBe(200)
      // Bob starts a new flow (seen by polling the authorization server too); alice's stream hears nothing.
      const heard = Promise.all([
        listen(aliceStream, 2500),
        listen(bobStream, 5000, (t) => t.includes('event: update')),
      ])
      const connect = await bob.browser.get(`${base}/connect`)
      await bob.browser.get(bob.browser.location(connect))
      const [aliceHeard, bobHeard] = await heard
      expect(bobHeard).toMatch(/event: update\ndata: \{"at":\d+\}\n\n/)
      expect(aliceHeard).not.toContain('event: update')
      for (const secret of [...secretsOf(alice), ...secretsOf(bob)]) {
        expect(aliceHeard + bobHeard).not.toContain(secret)
      }
    } finally {
      controller.abort()
    }
  })

  it('gives a browser without a flow no stream (204), so it costs nothing', async () => {
    expect((await fetch(`${base}/flow/events`)).status).toBe(204)
  })

  it(`keeps at most ${LIVE_PER_BROWSER} streams per browser (the oldest is closed) and ${LIVE_TOTAL} in all (then 429)`, async () => {
    // The streams of the tests above have just been aborted: let the server see them close.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const controller = new AbortController()
    try {
      const cookie = alice.browser.cookieFor(base)
      const first = await stream(cookie, controller.signal)
      const closed = listen(first, 10_000, (t) => t.includes('event: closed'))
      for (let i = 0; i < LIVE_PER_BROWSER; i++) expect((await stream(cookie, controller.signal)).status).toBe(200)
      expect(await closed).toMatch(/event: closed\ndata: \{"reason":"newer-page","perBrowser":4\}/)

      // Fill the total with other browsers (ids of their own; no flow is needed to be counted).
      const others = Array.from(
        { length: Math.ceil(LIVE_TOTAL / LIVE_PER_BROWSER) },
        () => `oauth_lab_browser=${randomSecret()}`,
      )
      const statuses: number[] = []
      for (const other of others) {
        for (let i = 0; i < LIVE_PER_BROWSER; i++) statuses.push((await stream(other, controller.signal)).status)
      }
      expect(statuses.filter((s) => s === 429).length).toBe(LIVE_PER_BROWSER)
      const refused = await stream(`oauth_lab_browser=${randomSecret()}`, controller.signal)
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('30')
      // A browser already at its own cap may still open a page: its oldest makes room.
      expect((await stream(cookie, controller.signal)).status).toBe(200)
    } finally {
      controller.abort()
    }
  }, 60_000)
})
