// The flow inspector over real HTTP: three real servers, a whole flow, then
// GET /flow, its JSON, its exports and its live event stream, read as the
// browser that ran the flow (its cookie jar) or with the lab key.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hiddenField } from '../helpers/inject-browser.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { at } from '../helpers/lists.js'

const TITLES = [
  'Step 1: Client app redirects resource owner to Authorization server',
  'Step 2: Resource owner authenticates on Authorization server',
  'Step 3: Owner authorizes client app',
  'Step 4: Auth server redirects owner with authorization code',
  'Step 5: Client app requests Access token from Auth server',
  'Step 6: Auth server issues access token to client to access resource',
  'Step 7: Client uses access token to access protected resource',
]

interface FlowJson {
  id: string
  checks: {
    state: string
    issuedCode: string
    redeemedCode: string
    accessToken: string
    tokenCheck?: string
    lines: Array<{ id: string; ok: boolean }>
  }
  steps: Array<{
    n: number
    title: string
    skipped?: string
    entries: Array<{
      role: string
      seq: number
      part: string
      method: string
      url: string
      status: number
      requestBody?: string
    }>
    decoded: Array<{
      kind: string
      credentials?: { clientId: string; clientSecret: string }
      signature?: { status: string }
    }>
  }>
}

let lab: TestLab
const browser = httpBrowser()
let base: string

/** Connect, sign in and consent when asked, come back, fetch the resource: the code of step 4 is returned. */
async function runFlow(): Promise<{ code: string; state: string }> {
  const connect = await browser.get(`${base}/connect`)
  let res = await browser.get(browser.location(connect))
  if (res.status === 200 && res.body.includes('action="/login"')) {
    const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    res = await browser.get(browser.location(signedIn))
  }
  if (res.status === 200 && res.body.includes('action="/consent"')) {
    res = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
      remember: 'on',
    })
  }
  const callback = new URL(browser.location(res))
  const page = await browser.get(callback.href)
  expect(page.status).toBe(200)
  const fetched = await browser.post(`${base}/fetch-resource`, { _csrf: hiddenField(page.body, '_csrf') })
  expect(fetched.status).toBe(200)
  return { code: callback.searchParams.get('code')!, state: callback.searchParams.get('state')! }
}

/** GET as the browser that ran the flows: the inspector shows a browser its own flows only. */
const asBrowser = (path: string) => browser.get(`${base}${path}`)

async function flowJson(id = 'latest'): Promise<FlowJson> {
  const res = await asBrowser(`/flow/${id}.json`)
  expect(res.status).toBe(200)
  return JSON.parse(res.body) as FlowJson
}

beforeAll(async () => {
  lab = await startTestLab()
  base = lab.config.client.publicUrl
})
afterAll(() => lab.close())

describe('the flow inspector', () => {
  it('says "No flow yet: press Connect" before any flow', async () => {
    const res = await fetch(`${base}/flow`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('No flow yet: press Connect')
  })

  let first: { code: string; state: string }
  let json: FlowJson

  it('shows the seven steps of the latest flow, in order, under the book\u2019s titles', async () => {
    first = await runFlow()
    const res = await asBrowser('/flow')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = res.body
    const positions = TITLES.map((title) => html.indexOf(`>${title}</h2>`))
    expect(positions.every((p) => p > 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(html).toMatch(/<svg class="flow-diagram"/)
    json = await flowJson()
    expect(json.steps.map((s) => `Step ${s.n}: ${s.title}`)).toEqual(TITLES)
    expect(json.checks.state).toBe(first.state)
  })

  it('shows that the code of step 4 is the code redeemed in step 5', () => {
    expect(json.checks.issuedCode).toBe(first.code)
    const tokenRequest = at(json.steps, 4).entries.find((e) => e.role === 'auth-server' && e.url === '/token')!
    expect(new URLSearchParams(tokenRequest.requestBody).get('code')).toBe(first.code)
    expect(json.checks.redeemedCode).toBe(first.code)
    expect(json.checks.lines).toContainEqual({
      id: 'code',
      ok: true,
      text: 'the code redeemed in step 5 is the code of step 4',
    })
    expect(json.checks.lines.map((l) => [l.id, l.ok])).toEqual([
      ['state', true],
      ['code', true],
      ['pkce', true],
    ])
  })

  it('decodes the Basic header of step 5 and checks the JWT against the JWKS', async () => {
    const basic = at(json.steps, 4).decoded.find((p) => p.kind === 'basic')!
    expect(basic.credentials).toEqual({ clientId: 'oauth-client-1', clientSecret: 'oauth-client-secret-1' })
    const jwt = at(json.steps, 5).decoded.find((p) => p.kind === 'jwt')!
    expect(jwt.signature!.status).toBe('valid')
    const html = (await asBrowser('/flow')).body
    expect(html).toContain('<code class="decoded-client-id">oauth-client-1</code>')
    expect(html).toContain('<code class="decoded-client-secret">oauth-client-secret-1</code>')
    expect(html).toContain('Signature: <strong>valid</strong>')
    expect(html).toContain(`<mark class="hl-code" title="code">code=${first.code}</mark>`)
  })

  it('attaches the resource server\u2019s check (GET /jwks) to step 7', () => {
    const step7 = at(json.steps, 6).entries
    expect(step7.map((e) => `${e.role} ${e.method} ${e.url.split('?')[0]}`)).toEqual(
      expect.arrayContaining(['client POST /fetch-resource', 'resource-server GET /resource', 'auth-server GET /jwks']),
    )
    expect(json.checks.tokenCheck).toBe('jwks')
  })

  it('places each exchange of the flow under its step', () => {
    const where = (n: number) =>
      at(json.steps, n - 1).entries.map((e) => `${e.role} ${e.method} ${e.url.split('?')[0]} ${e.part}`)
    expect(where(1)).toEqual(['client GET /connect both', 'auth-server GET /authorize request'])
    expect(where(2)).toEqual([
      'auth-server GET /authorize response',
      'auth-server POST /login both',
      'auth-server GET /authorize request',
    ])
    expect(where(3)).toEqual(['auth-server GET /authorize response', 'auth-server POST /consent request'])
    expect(where(4)).toEqual(['auth-server POST /consent response', 'client GET /authenticated request'])
    expect(where(5)).toEqual(['auth-server POST /token request'])
    expect(where(6)).toEqual(['auth-server POST /token response', 'client GET /authenticated response'])
  })

  it('exports the flow as HAR, Markdown and curl', async () => {
    const har = await asBrowser(`/flow/${json.id}/flow.har`)
    expect(har.status).toBe(200)
    expect(har.headers.get('content-type')).toMatch(/^application\/json/)
    expect(har.headers.get('content-disposition')).toBe(`attachment; filename="oauth-lab-flow-${json.id}.har"`)
    const log = (
      JSON.parse(har.body) as {
        log: {
          version: string
          creator: { name: string }
          entries: Array<{
            request: { method: string; url: string }
            response: { status: number }
            startedDateTime: string
            timings: object
          }>
        }
      }
    ).log
    expect(log.version).toBe('1.2')
    expect(log.creator.name).toBe('oauth-lab')
    const exchanges = new Set(json.steps.flatMap((s) => s.entries.map((e) => `${e.role}:${e.seq}`)))
    expect(log.entries).toHaveLength(exchanges.size)
    expect(log.entries.map((e) => `${e.request.method} ${e.request.url}`)).toContain(
      `POST ${lab.config.auth.internalUrl}/token`,
    )
    expect(at(log.entries, 0).request.url).toMatch(new RegExp(`^${base}/connect$`))
    expect(Date.parse(at(log.entries, 0).startedDateTime)).not.toBeNaN()

    const md = await asBrowser(`/flow/${json.id}/transcript.md`)
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/)
    const transcript = md.body
    expect(transcript).toContain('## Step 5: Client app requests Access token from Auth server')
    expect(transcript).toMatch(/```http\nPOST \/token HTTP\/1\.1\n/)

    const curl = (await asBrowser(`/flow/${json.id}/curl.sh`)).body
    expect(curl.split('\n').filter((l) => l.startsWith('curl ')).length).toBeGreaterThanOrEqual(8)
    expect(curl).toMatch(/-H 'authorization: Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x'/i)
    expect(curl).toContain(`curl -i '${lab.config.auth.internalUrl}/token'`)
  })

  it('sends the lab key\u2019s holder an `update` event when any new exchange happens', async () => {
    const controller = new AbortController()
    const res = await fetch(`${base}/flow/events`, {
      signal: controller.signal,
      headers: { authorization: `Bearer ${lab.config.labKey}` },
    })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let received = decoder.decode((await reader.read()).value)
    expect(received).toContain('retry:')
    // A request to the authorization server only: seen by polling, not in process.
    await fetch(`${lab.config.auth.publicUrl}/.well-known/oauth-authorization-server`)
    const deadline = Date.now() + 5000
    while (!received.includes('event: update') && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<undefined>((r) => setTimeout(r, deadline - Date.now())),
      ])
      if (!chunk || chunk.done) break
      received += decoder.decode(chunk.value)
    }
    controller.abort()
    expect(received).toMatch(/event: update\ndata: \{"at":\d+\}\n\n/)
  })

  it('shows steps 2 and 3 as skipped in a second flow with a remembered decision', async () => {
    const second = await runFlow()
    const latest = await flowJson()
    expect(latest.id).not.toBe(json.id)
    expect(latest.checks.issuedCode).toBe(second.code)
    expect(at(latest.steps, 1).skipped).toMatch(/^Skipped: signed in/)
    expect(at(latest.steps, 2).skipped).toMatch(/^Skipped: remembered decision/)
    expect(at(latest.steps, 1).entries).toEqual([])
    // The resource server's keys were cached: no second GET /jwks.
    expect(latest.checks.tokenCheck).toBe('cached-keys')
    const html = (await asBrowser('/flow')).body
    expect(html).toContain('Skipped: remembered decision')
    expect(html).toContain('with the public keys it had already fetched and cached')
    // Both flows are listed, and the first one is still there.
    expect(html).toContain(`href="/flow/${json.id}"`)
    expect((await flowJson(json.id)).checks.issuedCode).toBe(first.code)
  })

  it('never sets the client\u2019s session cookie (a polling tab must not restore an old session)', async () => {
    const connect = await fetch(`${base}/connect`, { redirect: 'manual' })
    const cookie = at(at(connect.headers.getSetCookie(), 0, 'a Set-Cookie').split(';'), 0)
    expect(cookie).toMatch(/^oauth_lab_client_sid=/)
    // With the lab key, so that the first flow is there to read.
    const authorization = `Bearer ${lab.config.labKey}`
    for (const path of ['/flow', '/flow?fragment=1', `/flow/${json.id}.json`, `/flow/${json.id}/flow.har`]) {
      const res = await fetch(`${base}${path}`, { headers: { cookie, authorization } })
      expect([path, res.status, res.headers.get('set-cookie')]).toEqual([path, 200, null])
    }
  })

  it('answers 404 for an unknown flow', async () => {
    expect((await asBrowser('/flow/nope.json')).status).toBe(404)
    expect((await asBrowser('/flow/nope/flow.har')).status).toBe(404)
    const page = await asBrowser('/flow/nope')
    expect(page.status).toBe(404)
    expect(page.body).toContain('There is no flow <code>nope</code>')
  })

  it('shows what it has when the authorization server is down, and says so', async () => {
    await lab.auth.close()
    const res = await asBrowser('/flow')
    expect(res.status).toBe(200)
    const html = res.body
    expect(html).toContain(`Could not reach the authorization server at <code>${lab.config.auth.internalUrl}</code>`)
    expect(html).toContain(TITLES[6])
  })
})

describe('with RESOURCE_TOKEN_CHECK=introspect', () => {
  it('attaches the introspection call to step 7', async () => {
    const other = await startTestLab({ RESOURCE_TOKEN_CHECK: 'introspect' })
    const saved = { lab, base }
    lab = other
    base = other.config.client.publicUrl
    try {
      await runFlow()
      const json = await flowJson()
      const introspection = at(json.steps, 6).entries.find((e) => e.url === '/introspect')!
      expect(introspection).toMatchObject({ role: 'auth-server', method: 'POST', status: 200 })
      expect(new URLSearchParams(introspection.requestBody).get('token')).toBe(json.checks.accessToken)
      expect(json.checks.tokenCheck).toBe('introspect')
      const basic = at(json.steps, 6).decoded.find((p) => p.kind === 'basic')!
      expect(basic.credentials).toEqual({ clientId: 'oauth-resource-1', clientSecret: 'oauth-resource-secret-1' })
    } finally {
      ;({ lab, base } = saved)
      await other.close()
    }
  })
})

describe('closing the client app', () => {
  it('ends open event streams instead of waiting for them', async () => {
    const other = await startTestLab()
    const res = await fetch(`${other.config.client.publicUrl}/flow/events`, {
      headers: { authorization: `Bearer ${other.config.labKey}` },
    })
    const reader = res.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:')
    const closed = other.close().then(() => 'closed')
    const late = new Promise((resolve) => setTimeout(() => resolve('still open after 3 s'), 3000))
    expect(await Promise.race([closed, late])).toBe('closed')
    expect((await reader.read()).done).toBe(true)
  })
})

describe('with INSPECTOR=off', () => {
  it('says the inspector is off and exports nothing', async () => {
    const off = await startTestLab({ INSPECTOR: 'off' })
    try {
      const res = await fetch(`${off.config.client.publicUrl}/flow`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('The inspector is off')
      expect((await fetch(`${off.config.client.publicUrl}/flow/latest/transcript.md`)).status).toBe(404)
      expect((await fetch(`${off.config.client.publicUrl}/flow/events`)).status).toBe(404)
    } finally {
      await off.close()
    }
  })
})
