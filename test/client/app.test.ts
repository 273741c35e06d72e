import { createHash } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { SignJWT, generateKeyPair } from 'jose'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { buildClientApp, CLIENT_SESSION_COOKIE } from '../../src/client/app.js'
import type { BackChannel, OutgoingRequest } from '../../src/client/oauth-client.js'
import { first, at } from '../helpers/lists.js'

// The client is under test; the authorization and resource servers are a stub
// that records each request and answers as docs/contract.md says they do.

interface Recorded {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

interface StubAnswer {
  status: number
  headers?: Record<string, string>
  body: unknown
}

const ISSUER = 'http://localhost:9001'
const RESOURCE_CHALLENGE = 'Bearer realm="oauth-lab", error="insufficient_scope", scope="foo"'

let stub: FastifyInstance
let stubUrl: string
let config: LabConfig
let app: FastifyInstance
let accessToken: string
const tokenRequests: Recorded[] = []
const resourceRequests: Recorded[] = []
let tokenAnswer: () => StubAnswer
let resourceAnswer: () => StubAnswer

function record(request: { method: string; url: string; headers: Recorded['headers']; body: unknown }): Recorded {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: typeof request.body === 'string' ? request.body : '',
  }
}

function goodTokenAnswer(): StubAnswer {
  return {
    status: 200,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    body: {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'foo bar',
      refresh_token: 'refresh-1',
    },
  }
}

function goodResourceAnswer(): StubAnswer {
  return { status: 200, body: { resource: 'foo', sub: 'alice', client_id: 'oauth-client-1', scope: 'foo bar' } }
}

async function startStub(): Promise<void> {
  stub = Fastify({ logger: false })
  // Keep the raw form body so the test sees exactly what the client sent.
  stub.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, body)
  })
  stub.post('/token', async (request, reply) => {
    tokenRequests.push(record(request))
    const answer = tokenAnswer()
    return reply
      .code(answer.status)
      .headers(answer.headers ?? {})
      .send(answer.body)
  })
  stub.get('/resource', async (request, reply) => {
    resourceRequests.push(record(request))
    const answer = resourceAnswer()
    return reply
      .code(answer.status)
      .headers(answer.headers ?? {})
      .send(answer.body)
  })
  await stub.listen({ host: '127.0.0.1', port: 0 })
  const address = stub.server.address()
  if (!address || typeof address === 'string') throw new Error('stub has no port')
  stubUrl = `http://127.0.0.1:${address.port}`
}

async function makeAccessToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256')
  return new SignJWT({ client_id: 'oauth-client-1', scope: 'foo bar' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'stub-key' })
    .setIssuer(ISSUER)
    .setSubject('alice')
    .setAudience('http://localhost:9002')
    .setIssuedAt()
    .setExpirationTime('1h')
    .setJti('jti-1')
    .sign(privateKey)
}

beforeAll(async () => {
  accessToken = await makeAccessToken()
  await startStub()
  config = loadConfig({ AUTH_INTERNAL_URL: stubUrl, RESOURCE_INTERNAL_URL: stubUrl })
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
  tokenAnswer = goodTokenAnswer
  resourceAnswer = goodResourceAnswer
})

/** A cookie jar for one browser: keeps the client's session cookie between inject calls. */
function browser() {
  let cookie: string | undefined
  return {
    async get(url: string) {
      const response = await app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} })
      cookie = nextCookie(response.headers['set-cookie']) ?? cookie
      return response
    },
    async post(url: string, form: Record<string, string>) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
        payload: new URLSearchParams(form).toString(),
      })
      cookie = nextCookie(response.headers['set-cookie']) ?? cookie
      return response
    },
    get cookie() {
      return cookie
    },
  }
}

function nextCookie(setCookie: string | string[] | undefined): string | undefined {
  const all = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]
  const ours = all.find((line) => line.startsWith(`${CLIENT_SESSION_COOKIE}=`))
  return ours?.split(';')[0]
}

type Browser = ReturnType<typeof browser>

/** Step 1 in a browser: returns the parsed authorization request. */
async function connect(b: Browser) {
  const response = await b.get('/connect')
  expect(response.statusCode).toBe(302)
  const location = new URL(String(response.headers.location))
  return {
    response,
    location,
    state: location.searchParams.get('state')!,
    challenge: location.searchParams.get('code_challenge')!,
  }
}

function callbackUrl(params: Record<string, string>): string {
  return `/authenticated?${new URLSearchParams(params).toString()}`
}

function csrfOf(html: string): string {
  const match = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(html)
  if (!match) throw new Error('no CSRF field on the page')
  return at(match, 1)
}

/** Steps 1-5 with a good callback: returns the page and the browser. */
async function connectedBrowser() {
  const b = browser()
  const { state, challenge } = await connect(b)
  const response = await b.get(callbackUrl({ code: 'code-1', state, iss: ISSUER }))
  expect(response.statusCode).toBe(200)
  return { b, response, state, challenge }
}

describe('client app: basics', () => {
  it('answers /healthz', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok' })
  })

  it('shows a Connect button on the home page, without creating a session', async () => {
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toContain('<form method="get" action="/connect">')
    expect(response.body).toContain('<button type="submit">Connect</button>')
    expect(response.body).toContain('<html lang="en">')
    expect(response.body).not.toContain('Fetch resource')
    expect(response.headers['set-cookie']).toBeUndefined()
  })

  it('answers an unknown page with an HTML 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toContain('Not found')
  })
})

describe('step 1: GET /connect', () => {
  it('redirects to the authorization endpoint with exactly the step 1 parameters', async () => {
    const b = browser()
    const { response, location, state, challenge } = await connect(b)
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:9001/authorize')
    expect([...location.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
    ])
    expect(location.searchParams.get('response_type')).toBe('code')
    expect(location.searchParams.get('client_id')).toBe('oauth-client-1')
    expect(location.searchParams.get('redirect_uri')).toBe('http://localhost:3000/authenticated')
    expect(location.searchParams.get('scope')).toBe('foo bar')
    expect(location.searchParams.get('code_challenge_method')).toBe('S256')
    expect(state.length).toBeGreaterThanOrEqual(43)
    expect(state).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const setCookie = String(response.headers['set-cookie'])
    expect(setCookie).toMatch(new RegExp(`^${CLIENT_SESSION_COOKIE}=`))
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Lax')
    expect(setCookie).toContain('Path=/')
  })

  it('makes a new state and challenge each time', async () => {
    const b = browser()
    const first = await connect(b)
    const second = await connect(b)
    const other = await connect(browser())
    expect(new Set([first.state, second.state, other.state]).size).toBe(3)
    expect(new Set([first.challenge, second.challenge, other.challenge]).size).toBe(3)
  })

  it('replaces the pending flow: the first state no longer works', async () => {
    const b = browser()
    const first = await connect(b)
    await connect(b)
    const response = await b.get(callbackUrl({ code: 'c', state: first.state, iss: ISSUER }))
    expect(response.statusCode).toBe(400)
    expect(tokenRequests).toHaveLength(0)
  })
})

describe('step 4: the callback refuses bad authorization responses without a token request', () => {
  it('refuses a forged state', async () => {
    const b = browser()
    await connect(b)
    const response = await b.get(callbackUrl({ code: 'c', state: 'forged-state-value', iss: ISSUER }))
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toContain('State does not match')
    expect(tokenRequests).toHaveLength(0)
  })

  it('refuses a missing state', async () => {
    const b = browser()
    await connect(b)
    const response = await b.get(callbackUrl({ code: 'c', iss: ISSUER }))
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('State does not match')
    expect(tokenRequests).toHaveLength(0)
  })

  it('refuses an empty state, and a state when no flow was started', async () => {
    const b = browser()
    await connect(b)
    expect((await b.get(callbackUrl({ code: 'c', state: '', iss: ISSUER }))).statusCode).toBe(400)
    const stranger = await app.inject({
      method: 'GET',
      url: callbackUrl({ code: 'c', state: 'x'.repeat(43), iss: ISSUER }),
    })
    expect(stranger.statusCode).toBe(400)
    expect(stranger.body).toContain('State does not match')
    expect(tokenRequests).toHaveLength(0)
  })

  it('refuses a missing iss (RFC 9207 §2.4)', async () => {
    const b = browser()
    const { state } = await connect(b)
    const response = await b.get(callbackUrl({ code: 'c', state }))
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('Issuer does not match')
    expect(response.body).toContain('no iss parameter')
    expect(tokenRequests).toHaveLength(0)
  })

  it('refuses a wrong iss, compared as a plain string', async () => {
    for (const iss of ['http://evil.example', 'http://localhost:9001/', 'HTTP://localhost:9001']) {
      const b = browser()
      const { state } = await connect(b)
      const response = await b.get(callbackUrl({ code: 'c', state, iss }))
      expect(response.statusCode).toBe(400)
      expect(response.body).toContain('Issuer does not match')
    }
    expect(tokenRequests).toHaveLength(0)
  })

  it('shows error=access_denied (escaped) and requests no token', async () => {
    const b = browser()
    const { state } = await connect(b)
    const response = await b.get(
      callbackUrl({ error: 'access_denied', error_description: 'The user said <b>no</b>', state, iss: ISSUER }),
    )
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('access_denied')
    expect(response.body).toContain('The user said &lt;b&gt;no&lt;/b&gt;')
    expect(response.body).not.toContain('<b>no</b>')
    expect(tokenRequests).toHaveLength(0)
  })

  it('refuses a repeated state, code or iss parameter', async () => {
    for (const name of ['state', 'code', 'iss']) {
      const b = browser()
      const { state } = await connect(b)
      const query = new URLSearchParams({ code: 'c', state, iss: ISSUER })
      query.append(name, name === 'state' ? state : 'other')
      const response = await b.get(`/authenticated?${query.toString()}`)
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toMatch(/^text\/html/)
      expect(response.body).toContain(`querystring/${name} must be string`)
      expect(response.body).toContain('Each parameter must appear at most once')
    }
    expect(tokenRequests).toHaveLength(0)
  })

  it('refuses a response with neither code nor error', async () => {
    const b = browser()
    const { state } = await connect(b)
    const response = await b.get(callbackUrl({ state, iss: ISSUER }))
    expect(response.statusCode).toBe(400)
    expect(tokenRequests).toHaveLength(0)
  })
})

describe('steps 4-6: a good callback', () => {
  it('makes exactly one token request, like step 5 of the seven steps', async () => {
    const b = browser()
    const { state, challenge } = await connect(b)
    const response = await b.get(callbackUrl({ code: 'code-1', state, iss: ISSUER, unknown_param: 'ignored' }))
    expect(response.statusCode).toBe(200)
    expect(tokenRequests).toHaveLength(1)
    const request = first(tokenRequests, 'request')
    expect(request.method).toBe('POST')
    expect(request.url).toBe('/token')
    const authorization = String(request.headers.authorization)
    expect(authorization).toBe('Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x')
    expect(Buffer.from(authorization.slice('Basic '.length), 'base64').toString()).toBe(
      'oauth-client-1:oauth-client-secret-1',
    )
    expect(request.headers.accept).toBe('application/json')
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const body = new URLSearchParams(request.body)
    expect([...body.keys()].sort()).toEqual(['code', 'code_verifier', 'grant_type', 'redirect_uri'])
    expect(body.get('grant_type')).toBe('authorization_code')
    expect(body.get('code')).toBe('code-1')
    expect(body.get('redirect_uri')).toBe('http://localhost:3000/authenticated')
    const verifier = body.get('code_verifier')!
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge)
  })

  it('shows the token, its decoded header and claims, and a Fetch resource form with a CSRF token', async () => {
    const { response } = await connectedBrowser()
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.body).toContain(accessToken)
    expect(response.body).toContain('&quot;typ&quot;: &quot;at+jwt&quot;')
    expect(response.body).toContain('&quot;sub&quot;: &quot;alice&quot;')
    expect(response.body).toContain('<code>Bearer</code>')
    expect(response.body).toContain('<code>3600</code> seconds')
    expect(response.body).toContain('<code>foo bar</code>')
    expect(response.body).toContain('<form method="post" action="/fetch-resource">')
    expect(response.body).toContain('<button type="submit">Fetch resource</button>')
    expect(csrfOf(response.body).length).toBeGreaterThan(20)
  })

  it('gives the session a new id once it holds a token', async () => {
    const b = browser()
    const { state } = await connect(b)
    const before = b.cookie
    await b.get(callbackUrl({ code: 'code-1', state, iss: ISSUER }))
    expect(b.cookie).toBeDefined()
    expect(b.cookie).not.toBe(before)
  })

  it('refuses a replay of the same callback: the state is one-time', async () => {
    const b = browser()
    const { state } = await connect(b)
    const url = callbackUrl({ code: 'code-1', state, iss: ISSUER })
    expect((await b.get(url)).statusCode).toBe(200)
    const replay = await b.get(url)
    expect(replay.statusCode).toBe(400)
    // A reload is told apart from a forgery: it says what happened, and is still refused.
    expect(replay.body).toContain('This callback was already used')
    expect(replay.body).not.toContain('cross-site request forgery')
    expect(tokenRequests).toHaveLength(1)
  })

  it('shows the token endpoint’s invalid_grant error', async () => {
    tokenAnswer = () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Code expired or already used' },
    })
    const b = browser()
    const { state } = await connect(b)
    const response = await b.get(callbackUrl({ code: 'old', state, iss: ISSUER }))
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain('invalid_grant')
    expect(response.body).toContain('Code expired or already used')
    expect(tokenRequests).toHaveLength(1)
  })

  it('answers 502 when the token endpoint is unreachable', async () => {
    const offline = await buildClientApp(loadConfig({ AUTH_INTERNAL_URL: 'http://127.0.0.1:1' }), { logger: false })
    try {
      const first = await offline.inject({ method: 'GET', url: '/connect' })
      const cookie = String(first.headers['set-cookie']).split(';')[0]
      const state = new URL(String(first.headers.location)).searchParams.get('state')!
      const response = await offline.inject({
        method: 'GET',
        url: callbackUrl({ code: 'c', state, iss: ISSUER }),
        headers: { cookie },
      })
      expect(response.statusCode).toBe(502)
      expect(response.body).toContain('Authorization server unreachable')
      expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/)
    } finally {
      await offline.close()
    }
  })
  it('sends step 5 through an injected back channel, the request exactly as built', async () => {
    const sent: OutgoingRequest[] = []
    const backChannel: BackChannel = async (request) => {
      sent.push(request)
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(goodTokenAnswer().body),
      }
    }
    const stubbed = await buildClientApp(config, { logger: false, backChannel })
    try {
      const first = await stubbed.inject({ method: 'GET', url: '/connect' })
      const cookie = String(first.headers['set-cookie']).split(';')[0]
      const state = new URL(String(first.headers.location)).searchParams.get('state')!
      const response = await stubbed.inject({
        method: 'GET',
        url: callbackUrl({ code: 'c', state, iss: ISSUER }),
        headers: { cookie },
      })
      expect(response.statusCode).toBe(200)
      expect(tokenRequests).toHaveLength(0)
      expect(sent).toHaveLength(1)
      expect(at(sent, 0).url).toBe(`${stubUrl}/token`)
      expect(Object.keys(at(sent, 0).headers)).toEqual(['Authorization', 'Accept', 'Content-Type'])
    } finally {
      await stubbed.close()
    }
  })
})

describe('step 7: POST /fetch-resource', () => {
  it('refuses a POST without a CSRF token (403 HTML)', async () => {
    const { b } = await connectedBrowser()
    const response = await b.post('/fetch-resource', {})
    expect(response.statusCode).toBe(403)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toContain('CSRF')
    expect(resourceRequests).toHaveLength(0)
  })

  it('refuses a wrong CSRF token, and a POST without any session', async () => {
    const { b } = await connectedBrowser()
    expect((await b.post('/fetch-resource', { _csrf: 'wrong-token' })).statusCode).toBe(403)
    const anonymous = await app.inject({
      method: 'POST',
      url: '/fetch-resource',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '_csrf=whatever',
    })
    expect(anonymous.statusCode).toBe(403)
    expect(resourceRequests).toHaveLength(0)
  })

  it('sends the token as a Bearer header and shows the resource server’s JSON', async () => {
    const { b, response: page } = await connectedBrowser()
    const response = await b.post('/fetch-resource', { _csrf: csrfOf(page.body) })
    expect(response.statusCode).toBe(200)
    expect(resourceRequests).toHaveLength(1)
    expect(first(resourceRequests).method).toBe('GET')
    expect(first(resourceRequests).url).toBe('/resource')
    expect(first(resourceRequests).headers.authorization).toBe(`Bearer ${accessToken}`)
    expect(response.body).toContain('Resource server answer')
    expect(response.body).toContain('<code id="resource-status">200</code>')
    expect(response.body).toContain(
      '&quot;sub&quot;: &quot;alice&quot;,\n  &quot;client_id&quot;: &quot;oauth-client-1&quot;',
    )
    expect(response.body).toContain('&quot;resource&quot;: &quot;foo&quot;')
    expect(response.body).not.toContain('resource-www-authenticate')
    // The page offers Fetch resource again, with a CSRF token that works.
    const again = await b.post('/fetch-resource', { _csrf: csrfOf(response.body) })
    expect(again.statusCode).toBe(200)
    expect(resourceRequests).toHaveLength(2)
  })

  it('shows a 403 insufficient_scope answer with its WWW-Authenticate header', async () => {
    resourceAnswer = () => ({
      status: 403,
      headers: { 'www-authenticate': RESOURCE_CHALLENGE },
      body: { error: 'insufficient_scope' },
    })
    const { b, response: page } = await connectedBrowser()
    const response = await b.post('/fetch-resource', { _csrf: csrfOf(page.body) })
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain('<code id="resource-status">403</code>')
    expect(response.body).toContain(
      '<code id="resource-www-authenticate">Bearer realm=&quot;oauth-lab&quot;, error=&quot;insufficient_scope&quot;, scope=&quot;foo&quot;</code>',
    )
    expect(response.body).toContain('&quot;error&quot;: &quot;insufficient_scope&quot;')
  })

  it('shows the held token and a working Fetch resource form on the home page', async () => {
    const { b } = await connectedBrowser()
    const home = await b.get('/')
    expect(home.statusCode).toBe(200)
    expect(home.headers['cache-control']).toBe('no-store')
    expect(home.body).toContain(accessToken)
    expect(home.body).toContain('<button type="submit">Connect</button>')
    const response = await b.post('/fetch-resource', { _csrf: csrfOf(home.body) })
    expect(response.statusCode).toBe(200)
    expect(resourceRequests).toHaveLength(1)
  })
})
