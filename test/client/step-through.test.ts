// Step-through mode: the client stops before steps 1, 5 and 7, shows the exact
// message, and sends exactly that on "Send". The authorization and resource
// servers are a stub that records what it receives, as in app.test.ts.

import { createHash } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { buildClientApp } from '../../src/client/app.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { injectBrowser, type InjectBrowser } from '../helpers/inject-browser.js'
import { first, at } from '../helpers/lists.js'

interface Recorded {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

const ISSUER = 'http://localhost:9001'
const ACCESS_TOKEN = 'stub-access-token'
let stub: FastifyInstance
let stubHost: string
let config: LabConfig
let app: FastifyInstance
const tokenRequests: Recorded[] = []
const resourceRequests: Recorded[] = []

beforeAll(async () => {
  stub = Fastify({ logger: false })
  stub.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  )
  const record =
    (list: Recorded[]) => (request: { method: string; url: string; headers: Recorded['headers']; body: unknown }) =>
      list.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: typeof request.body === 'string' ? request.body : '',
      })
  stub.post('/token', async (request) => {
    record(tokenRequests)(request)
    return { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' }
  })
  stub.get('/resource', async (request) => {
    record(resourceRequests)(request)
    return { resource: 'foo', sub: 'alice', client_id: 'oauth-client-1', scope: 'foo bar' }
  })
  await stub.listen({ host: '127.0.0.1', port: 0 })
  const address = stub.server.address()
  if (!address || typeof address === 'string') throw new Error('stub has no port')
  stubHost = `127.0.0.1:${address.port}`
  config = loadConfig({ AUTH_INTERNAL_URL: `http://${stubHost}`, RESOURCE_INTERNAL_URL: `http://${stubHost}` })
  app = await buildClientApp(config, { logger: false })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
  await stub?.close()
})

beforeEach(() => {
  tokenRequests.length = 0
  resourceRequests.length = 0
})

function unescape(html: string): string {
  return html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error('no CSRF field on the page')
  return at(match, 1)
}

/** The previewed HTTP message, split into start line, headers (by lower-case name) and body. */
function previewOf(html: string) {
  const match = /<pre [^>]*id="step-message"[^>]*><code>([\s\S]*?)<\/code><\/pre>/.exec(html)
  if (!match) throw new Error('no preview on the page')
  const [head, body] = unescape(at(match, 1)).split('\n\n') as [string, string | undefined]
  const [startLine, ...lines] = head.split('\n')
  const headers = new Map(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 2)]),
  )
  return { startLine: startLine, headers, body }
}

async function withStepThrough(on: boolean): Promise<InjectBrowser> {
  const b = injectBrowser(app)
  const settings = await b.get('/settings/step-through')
  const saved = await b.postForm('/settings/step-through', {
    _csrf: csrfOf(settings.body),
    ...(on ? { stepThrough: 'on' } : {}),
  })
  expect(saved.statusCode).toBe(303)
  expect(saved.headers.location).toBe('/')
  return b
}

/** Step 1 previewed and sent; returns the authorization URL the client redirected to. */
async function stepOne(b: InjectBrowser): Promise<URL> {
  const page = await b.get('/connect')
  expect(page.statusCode).toBe(200)
  const preview = previewOf(page.body)
  const sent = await b.get('/connect/send')
  expect(sent.statusCode).toBe(302)
  expect(sent.headers.location).toBe(preview.headers.get('location'))
  return new URL(String(sent.headers.location))
}

async function callback(b: InjectBrowser, authorizeUrl: URL) {
  const state = authorizeUrl.searchParams.get('state')!
  return b.get(`/authenticated?${new URLSearchParams({ code: 'code-1', state, iss: ISSUER })}`)
}

describe('the step-through switch', () => {
  it('is off by default, and the home page offers it without creating a session', async () => {
    const home = await app.inject({ method: 'GET', url: '/' })
    expect(home.body).toContain('Step-through mode is <strong id="step-through-status">off</strong>')
    expect(home.body).toContain('<form method="get" action="/settings/step-through">')
    expect(home.headers['set-cookie']).toBeUndefined()
  })

  it('needs the CSRF token of the session', async () => {
    const b = injectBrowser(app)
    await b.get('/settings/step-through')
    expect((await b.postForm('/settings/step-through', { stepThrough: 'on' })).statusCode).toBe(403)
    expect((await b.postForm('/settings/step-through', { _csrf: 'wrong', stepThrough: 'on' })).statusCode).toBe(403)
    expect((await b.get('/connect')).statusCode).toBe(302)
  })

  it('once saved, shows on the home page as a checked box with its own form', async () => {
    const b = await withStepThrough(true)
    const home = await b.get('/')
    expect(home.body).toContain('Step-through mode is <strong id="step-through-status">on</strong>')
    expect(home.body).toContain('<form method="post" action="/settings/step-through">')
    expect(home.body).toContain('name="stepThrough" value="on" checked>')
    const off = await b.postForm('/settings/step-through', { _csrf: csrfOf(home.body) })
    expect(off.statusCode).toBe(303)
    expect((await b.get('/')).body).toContain('Step-through mode is <strong id="step-through-status">off</strong>')
  })
})

describe('step-through mode on', () => {
  it('step 1: shows the redirect instead of answering it, and Send answers exactly it', async () => {
    const b = await withStepThrough(true)
    const page = await b.get('/connect')
    expect(page.statusCode).toBe(200)
    expect(page.headers.location).toBeUndefined()
    expect(page.body).toContain('About to send step 1')
    const preview = previewOf(page.body)
    expect(preview.startLine).toBe('HTTP/1.1 302 Found')
    const shown = new URL(preview.headers.get('location')!)
    expect(`${shown.origin}${shown.pathname}`).toBe('http://localhost:9001/authorize')
    expect(shown.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(shown.searchParams.get('code_challenge_method')).toBe('S256')
    expect(page.body).toContain('<form method="get" action="/connect/send">')
    const sent = await b.get('/connect/send')
    expect(sent.statusCode).toBe(302)
    expect(sent.headers.location).toBe(shown.href)
  })

  it('step 5: shows the exact token request, sends nothing until Send, then sends exactly it, once', async () => {
    const b = await withStepThrough(true)
    const authorizeUrl = await stepOne(b)
    const page = await callback(b, authorizeUrl)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('About to send step 5')
    expect(tokenRequests).toHaveLength(0)
    const preview = previewOf(page.body)
    expect(preview.startLine).toBe('POST /token HTTP/1.1')
    expect(preview.headers.get('host')).toBe(stubHost)
    expect(preview.headers.get('authorization')).toBe('Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x')
    expect([...preview.headers.keys()]).toEqual(['host', 'authorization', 'accept', 'content-type', 'content-length'])

    const csrf = csrfOf(page.body)
    expect((await b.postForm('/authenticated/send', {})).statusCode).toBe(403)
    expect(tokenRequests).toHaveLength(0)
    const sent = await b.postForm('/authenticated/send', { _csrf: csrf })
    expect(sent.statusCode).toBe(200)
    expect(sent.body).toContain(ACCESS_TOKEN)
    expect(tokenRequests).toHaveLength(1)
    const request = first(tokenRequests, 'request')
    expect(`${request.method} ${request.url} HTTP/1.1`).toBe(preview.startLine)
    for (const [name, value] of preview.headers) expect(request.headers[name], name).toBe(value)
    expect(request.body).toBe(preview.body)
    const verifier = new URLSearchParams(request.body).get('code_verifier')!
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(
      authorizeUrl.searchParams.get('code_challenge'),
    )

    const again = await b.postForm('/authenticated/send', { _csrf: csrfOf(sent.body) })
    expect(again.statusCode).toBe(400)
    expect(again.body).toContain('Nothing to send')
    expect(tokenRequests).toHaveLength(1)
  })

  it('step 5: a forged state is still refused, with no preview', async () => {
    const b = await withStepThrough(true)
    await stepOne(b)
    const page = await b.get(`/authenticated?${new URLSearchParams({ code: 'c', state: 'forged', iss: ISSUER })}`)
    expect(page.statusCode).toBe(400)
    expect(page.body).toContain('State does not match')
    expect(page.body).not.toContain('About to send')
  })

  it('step 4: shows the code, where it came from and the real check results, on the page that holds step 5', async () => {
    const b = await withStepThrough(true)
    const authorizeUrl = await stepOne(b)
    // Step 1 asked for step-through's longer-lived code.
    expect(authorizeUrl.searchParams.get('lab_code_lifetime')).toBe('600')
    const before = Date.now()
    const page = await callback(b, authorizeUrl)
    expect(page.statusCode).toBe(200)
    const html = unescape(page.body)
    expect(html).toMatch(
      /<strong class="lab-step">Step 4 of 7<\/strong> · <span class="lab-server">Client app \(localhost:3000\)/,
    )
    expect(html).toMatch(
      /The code has arrived: <span class="ok" data-check="state">state ✓<\/span> <span class="ok" data-check="iss">iss ✓<\/span>/,
    )
    expect(html).toContain(
      `<pre tabindex="0" id="arrival-code" role="region" aria-labelledby="arrival-code-label"><code>code-1</code></pre>`,
    )
    expect(html).toContain(`${ISSUER}, this app’s authorization server (RFC 9207 §2.4).`)
    expect(html).toMatch(
      /<code>GET \/authenticated\?code=code-1&state=[A-Za-z0-9_-]{43}&iss=http%3A%2F%2Flocalhost%3A9001 HTTP\/1\.1<\/code>/,
    )
    // The code's lifetime: the time it expires in words, and the seconds left for the script.
    const expires =
      /The code expires at <time datetime="([^"]+)">(\d\d:\d\d:\d\d) UTC<\/time>, 600 s after it was issued/.exec(html)
    expect(expires).not.toBeNull()
    const at = Date.parse(expires![1]!)
    expect(at).toBeGreaterThanOrEqual(before + 600_000)
    expect(at).toBeLessThanOrEqual(Date.now() + 600_000)
    expect(html).toContain('data-seconds-left="600"')
    expect(html).toContain('<script src="/assets/step-countdown.js" defer></script>')
    expect(html).toContain('codes of this lab live 60 s')
    // ...and step 5 still held below it.
    expect(html).toContain('About to send step 5')
    expect(tokenRequests).toHaveLength(0)
  })

  it('step 4: a forged state shows state ✗ with its reason, and iss checked; no code is used', async () => {
    const b = await withStepThrough(true)
    await stepOne(b)
    const page = await b.get(`/authenticated?${new URLSearchParams({ code: 'c', state: 'forged', iss: ISSUER })}`)
    expect(page.statusCode).toBe(400)
    const html = unescape(page.body)
    expect(html).toContain('Step 4 of 7')
    expect(html).toMatch(
      /<span class="error" data-check="state">state ✗<\/span> <span class="ok" data-check="iss">iss ✓<\/span>/,
    )
    expect(html).toContain('not the one this app sent in step 1 and kept in your session')
    expect(html).not.toContain('About to send')
    expect(html).not.toContain('The code expires')
    expect(tokenRequests).toHaveLength(0)
  })

  it('step 4: a wrong iss shows iss ✗ with its reason, state ✓', async () => {
    const b = await withStepThrough(true)
    const authorizeUrl = await stepOne(b)
    const state = authorizeUrl.searchParams.get('state')!
    const page = await b.get(`/authenticated?${new URLSearchParams({ code: 'c', state, iss: 'http://evil.example' })}`)
    expect(page.statusCode).toBe(400)
    const html = unescape(page.body)
    expect(html).toContain('Issuer does not match')
    expect(html).toMatch(
      /<span class="ok" data-check="state">state ✓<\/span> <span class="error" data-check="iss">iss ✗<\/span>/,
    )
    expect(html).toContain(
      `http://evil.example, not ${ISSUER}: the response may come from another authorization server`,
    )
    expect(html).not.toContain('About to send')
    expect(tokenRequests).toHaveLength(0)
  })

  it('step 7: shows the exact resource request, and Send sends exactly it', async () => {
    const b = await withStepThrough(true)
    const page = await callback(b, await stepOne(b))
    const tokenPage = await b.postForm('/authenticated/send', { _csrf: csrfOf(page.body) })
    const previewPage = await b.postForm('/fetch-resource', { _csrf: csrfOf(tokenPage.body) })
    expect(previewPage.statusCode).toBe(200)
    expect(previewPage.body).toContain('About to send step 7')
    expect(resourceRequests).toHaveLength(0)
    const preview = previewOf(previewPage.body)
    expect(preview.startLine).toBe('GET /resource HTTP/1.1')
    expect([...preview.headers]).toEqual([
      ['host', stubHost],
      ['authorization', `Bearer ${ACCESS_TOKEN}`],
      ['accept', 'application/json'],
    ])
    expect(preview.body).toBeUndefined()
    expect((await b.postForm('/fetch-resource/send', {})).statusCode).toBe(403)
    const sent = await b.postForm('/fetch-resource/send', { _csrf: csrfOf(previewPage.body) })
    expect(sent.statusCode).toBe(200)
    expect(sent.body).toContain('<code id="resource-status">200</code>')
    expect(resourceRequests).toHaveLength(1)
    const request = first(resourceRequests, 'request')
    expect(`${request.method} ${request.url} HTTP/1.1`).toBe(preview.startLine)
    for (const [name, value] of preview.headers) expect(request.headers[name], name).toBe(value)
  })
})

describe('step-through mode off', () => {
  it('behaves as without it: a redirect, and the token request at the callback', async () => {
    const b = await withStepThrough(false)
    const connect = await b.get('/connect')
    expect(connect.statusCode).toBe(302)
    // No longer-lived code is asked for outside step-through mode.
    expect(new URL(String(connect.headers.location)).searchParams.has('lab_code_lifetime')).toBe(false)
    const page = await callback(b, new URL(String(connect.headers.location)))
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain(ACCESS_TOKEN)
    expect(tokenRequests).toHaveLength(1)
    const resource = await b.postForm('/fetch-resource', { _csrf: csrfOf(page.body) })
    expect(resource.body).toContain('<code id="resource-status">200</code>')
    expect(resourceRequests).toHaveLength(1)
  })
})
