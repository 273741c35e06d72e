// Break it, piece by piece: the attack's browser (tags, cookies, no redirects),
// how an answer is read, and the routes. test/e2e/break-it.test.ts plays the
// attacks against the real servers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { buildClientApp } from '../../src/client/app.js'
import { createAgent, type AgentResponse } from '../../src/client/break-it/agent.js'
import { answerView } from '../../src/client/break-it/answer.js'
import { toInternal } from '../../src/client/break-it/play-authorization.js'
import { ATTACKS } from '../../src/client/break-it/catalog.js'
import { hiddenField } from '../../src/client/break-it/html-text.js'
import { loadConfig } from '../../src/shared/config.js'
import { injectBrowser } from '../helpers/inject-browser.js'
import { at } from '../helpers/lists.js'

const seen: Array<Record<string, string | string[] | undefined>> = []
let stub: FastifyInstance
let stubUrl: string

beforeAll(async () => {
  stub = Fastify({ logger: false })
  stub.get('/set', async (request, reply) => {
    seen.push(request.headers)
    return reply.header('set-cookie', 'sid=abc; Path=/; HttpOnly').redirect('/elsewhere', 303)
  })
  stub.get('/echo', async (request) => {
    seen.push(request.headers)
    return 'ok'
  })
  await stub.listen({ host: '127.0.0.1', port: 0 })
  const address = stub.server.address()
  if (!address || typeof address === 'string') throw new Error('stub has no port')
  stubUrl = `http://127.0.0.1:${address.port}`
})
afterAll(() => stub.close())

function response(status: number, headers: Record<string, string>, body = ''): AgentResponse {
  return { status, headers: new Headers(headers), body, url: 'http://as.example/token' }
}

describe('the attack browser', () => {
  it('tags every request with the flow id, keeps cookies, follows no redirect and logs each request', async () => {
    const log: Parameters<typeof createAgent>[2] = []
    const agent = createAgent(fetch, 'attack-test-1', log, 'Victim')
    const first = await agent.get('first', `${stubUrl}/set`)
    expect(first.status).toBe(303)
    await agent.send('second', { method: 'GET', url: `${stubUrl}/echo`, headers: { Accept: 'application/json' } })
    expect(seen.map((h) => h['x-oauth-lab-flow'])).toEqual(['attack-test-1', 'attack-test-1'])
    expect(at(seen, 0).cookie).toBeUndefined()
    expect(at(seen, 1).cookie).toBe('sid=abc')
    expect(at(seen, 1).accept).toBe('application/json')
    expect(log).toEqual([
      { label: 'Victim: first', method: 'GET', url: `${stubUrl}/set`, status: 303 },
      { label: 'Victim: second', method: 'GET', url: `${stubUrl}/echo`, status: 200 },
    ])
    // Another browser of the same attack: same flow and log, its own cookie jar.
    await createAgent(fetch, 'attack-test-1', log, 'Attacker').get('third', `${stubUrl}/echo`)
    expect(at(seen, 2).cookie).toBeUndefined()
    expect(log).toHaveLength(3)
  })
})

describe('reading the answer that stops an attack', () => {
  it('reads an RFC 6749 §5.2 JSON error with its WWW-Authenticate', () => {
    const answer = answerView(
      response(
        401,
        { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="oauth-lab"' },
        '{"error":"invalid_client","error_description":"wrong secret"}',
      ),
    )
    expect(answer).toEqual({
      status: 401,
      error: 'invalid_client',
      errorDescription: 'wrong secret',
      wwwAuthenticate: 'Basic realm="oauth-lab"',
      stopped: true,
    })
  })

  it('reads an error sent back in a redirect (RFC 6749 §4.1.2.1)', () => {
    const location =
      'http://localhost:3000/authenticated?error=access_denied&error_description=The+owner+said+no.&state=s'
    expect(answerView(response(303, { location }))).toEqual({
      status: 303,
      error: 'access_denied',
      errorDescription: 'The owner said no.',
      location,
      stopped: true,
    })
  })

  it('reads the client app’s own error page, unescaped', () => {
    const html =
      '<h1>State does not match</h1>\n<p class="error" role="alert">The state isn&#39;t &quot;ours&quot;.</p>'
    expect(answerView(response(400, { 'content-type': 'text/html; charset=utf-8' }, html))).toMatchObject({
      error: 'State does not match',
      errorDescription: 'The state isn\'t "ours".',
      stopped: true,
    })
  })

  it('says so when nothing stopped it', () => {
    expect(answerView(response(200, { 'content-type': 'application/json' }, '{"access_token":"x"}'))).toEqual({
      status: 200,
      stopped: false,
    })
  })
})

describe('playing a browser on the authorization server', () => {
  const config = loadConfig({ AUTH_INTERNAL_URL: 'http://as.internal:1' })

  it('uses the internal URL for the authorization server’s public one', () => {
    expect(toInternal(config, 'http://localhost:9001/authorize?x=1')).toBe('http://as.internal:1/authorize?x=1')
    expect(toInternal(config, 'http://localhost:3000/authenticated')).toBe('http://localhost:3000/authenticated')
  })

  it('reads hidden fields as a browser would', () => {
    expect(hiddenField('<input type="hidden" name="_csrf" value="a&amp;b&quot;c&amp;lt;">', '_csrf')).toBe('a&b"c&lt;')
    expect(hiddenField('<p>nothing</p>', '_csrf')).toBeUndefined()
  })
})

describe('GET /break and POST /break/<attack>', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    // Nothing listens on port 1: every attack fails to set up.
    app = await buildClientApp(
      loadConfig({ AUTH_INTERNAL_URL: 'http://127.0.0.1:1', CLIENT_PUBLIC_URL: 'http://127.0.0.1:1' }),
      { logger: false },
    )
  })
  afterAll(() => app.close())

  it('lists every attack of the catalog, each a button in a POST form with a CSRF token', async () => {
    const page = await app.inject({ method: 'GET', url: '/break' })
    expect(page.statusCode).toBe(200)
    const forms =
      page.body.match(
        /<form method="post" action="\/break\/[a-z-]+">\s*<input type="hidden" name="_csrf" value="[^"]+">/g,
      ) ?? []
    expect(forms).toHaveLength(ATTACKS.length)
    expect(ATTACKS.length).toBeGreaterThanOrEqual(33)
    for (const title of [
      'Forged state (CSRF)',
      'Replayed code',
      'redirect_uri changed at the token endpoint',
      'Wrong client secret',
      'Missing PKCE verifier',
      'Wrong PKCE verifier',
      'Expired token',
      'Token without scope foo',
      'Consent denied',
      'Replayed refresh token',
      'Client credentials asked by a public client',
      'ID token sent to userinfo',
      'Tampered JWT (scope widened)',
      'JWT with alg none',
      'Token for another audience',
      'Open redirect at /authorize',
      'Code injection (PKCE)',
      'Mix-up (iss of another server)',
      'DPoP token replayed as Bearer',
      'Replayed DPoP proof',
      'DPoP proof for another URL',
      'Pushed request_uri replayed',
      'Pushed request_uri used by another client',
      'Token exchange for an audience the policy does not allow',
      'Token exchange with a subject token that is not a token',
      'Device polls too fast',
      'Guessed user code',
      'Expired device code',
    ]) {
      expect(page.body).toContain(`<button type="submit">${title}</button>`)
    }
  })

  it('refuses a run without the CSRF token, and an unknown attack', async () => {
    const b = injectBrowser(app)
    const page = await b.get('/break')
    expect((await b.postForm('/break/replayed-code', {})).statusCode).toBe(403)
    const csrf = hiddenField(page.body, '_csrf')!
    const unknown = await b.postForm('/break/steal-everything', { _csrf: csrf })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.body).toContain('No such attack')
  })

  it('says why a demo could not run when a server is unreachable, with its flow id', async () => {
    const b = injectBrowser(app)
    const csrf = hiddenField((await b.get('/break')).body, '_csrf')!
    const result = await b.postForm('/break/replayed-code', { _csrf: csrf })
    expect(result.statusCode).toBe(502)
    expect(result.body).toContain('The demo could not run')
    expect(result.body).toContain('A server could not be reached: fetch failed')
    expect(result.body).toMatch(/<a id="flow-link" href="\/flow\/attack-replayed-code-[A-Za-z0-9_-]{21}">/)
  })
})
