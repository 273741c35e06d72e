// Steps 1-4 at the authorization server: GET /authorize, login, consent, code redirect.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { hiddenField, injectBrowser, locationParams } from '../../helpers/inject-browser.js'

let app: FastifyInstance
let config: LabConfig
const REDIRECT = 'http://localhost:3000/authenticated'
const ISSUER = 'http://localhost:9001'

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

async function loginPage(query: Record<string, string | undefined> = {}) {
  const browser = injectBrowser(app)
  const res = await browser.get(`/authorize?${authorizeQuery(config, query)}`)
  return { browser, res }
}

async function signIn(query: Record<string, string | undefined> = {}, username = 'alice') {
  const { browser, res } = await loginPage(query)
  const login = await browser.postForm('/login', {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    username,
    password: `${username}-password`,
  })
  expect(login.statusCode).toBe(303)
  const next = await browser.get(login.headers.location as string)
  return { browser, res: next }
}

describe('GET /authorize: requests that must never redirect (RFC 6749 §4.1.2.1)', () => {
  const cases: Array<[string, Record<string, string | undefined>]> = [
    ['unknown client_id', { client_id: 'no-such-client' }],
    ['missing client_id', { client_id: undefined }],
    ['unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }],
    ['redirect_uri with a trailing slash', { redirect_uri: `${REDIRECT}/` }],
    ['redirect_uri with an extra query', { redirect_uri: `${REDIRECT}?x=1` }],
    ['redirect_uri on another port', { redirect_uri: 'http://localhost:3001/authenticated' }],
    ['redirect_uri with different case', { redirect_uri: 'http://localhost:3000/Authenticated' }],
    ['the introspection-only client', { client_id: 'oauth-resource-1' }],
  ]
  for (const [name, query] of cases) {
    it(`${name}: HTML 400 page, no Location`, async () => {
      const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config, query)}` })
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.headers.location).toBeUndefined()
      expect(res.body).toContain('Invalid authorization request')
    })
  }

  it('a repeated client_id or redirect_uri is a 400 page', async () => {
    for (const name of ['client_id', 'redirect_uri']) {
      const dup = name === 'client_id' ? 'oauth-client-1' : REDIRECT
      const url = `/authorize?${authorizeQuery(config)}&${name}=${encodeURIComponent(dup)}`
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(400)
      expect(res.headers.location).toBeUndefined()
    }
  })

  it('escapes what the user sent on the error page', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config, { client_id: '<script>x</script>' })}`,
    })
    expect(res.statusCode).toBe(400)
    expect(res.body).not.toContain('<script>x</script>')
    expect(res.body).toContain('&lt;script&gt;')
  })
})

describe('GET /authorize: errors redirected with error, error_description, state and iss', () => {
  const cases: Array<[string, string, Record<string, string | undefined>]> = [
    ['missing response_type', 'invalid_request', { response_type: undefined }],
    ['response_type=token', 'unsupported_response_type', { response_type: 'token' }],
    ['unknown scope', 'invalid_scope', { scope: 'foo admin' }],
    [
      'code_challenge_method=plain',
      'invalid_request',
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
    ],
    ['code_challenge without method (means plain)', 'invalid_request', { code_challenge: 'a'.repeat(43) }],
    ['method without code_challenge', 'invalid_request', { code_challenge_method: 'S256' }],
    ['malformed code_challenge', 'invalid_request', { code_challenge: 'short', code_challenge_method: 'S256' }],
    ['public client without PKCE', 'invalid_request', { client_id: 'oauth-client-public' }],
  ]
  for (const [name, error, query] of cases) {
    it(`${name} → ${error}`, async () => {
      const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config, query)}` })
      expect(res.statusCode).toBe(302)
      const location = new URL(res.headers.location as string)
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT)
      expect(location.searchParams.get('error')).toBe(error)
      expect(location.searchParams.get('error_description')).toMatch(/\w/)
      expect(location.searchParams.get('error_description')).not.toMatch(/["\\]/)
      expect(location.searchParams.get('state')).toBe('state-123')
      expect(location.searchParams.get('iss')).toBe(ISSUER)
      expect(location.searchParams.get('code')).toBeNull()
    })
  }

  it('a repeated scope parameter is invalid_request (RFC 6749 §3.1)', async () => {
    const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config)}&scope=foo` })
    expect(res.statusCode).toBe(302)
    expect(locationParams(res).get('error')).toBe('invalid_request')
    expect(locationParams(res).get('error_description')).toContain('scope')
  })

  it('the plain-PKCE refusal says why', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })}`,
    })
    expect(locationParams(res).get('error_description')).toBe(
      'code_challenge_method must be S256; plain is not supported (RFC 7636 section 4.3).',
    )
  })

  it('no state sent: none returned', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config, { state: undefined, response_type: 'token' })}`,
    })
    expect(locationParams(res).has('state')).toBe(false)
    expect(locationParams(res).get('iss')).toBe(ISSUER)
  })
})

describe('step 2: the login page', () => {
  it('is shown when not signed in, with the contract fields and framing refused', async () => {
    const { res } = await loginPage()
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(/<label for="username">Username<\/label>/)
    expect(res.body).toMatch(/<input type="text" id="username" name="username"/)
    expect(res.body).toMatch(/<label for="password">Password<\/label>/)
    expect(res.body).toMatch(/<input type="password" id="password" name="password"/)
    expect(res.body).toMatch(/<button type="submit">Sign in<\/button>/)
    expect(res.body).toContain('OAuth Client 1')
    expect(hiddenField(res.body, '_csrf').length).toBeGreaterThan(20)
    // RFC 9700 §4.16 and §4.2.4.
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('sets a signed, HttpOnly, SameSite=Lax session cookie of its own name', async () => {
    const { res } = await loginPage()
    const cookie = String(res.headers['set-cookie'])
    expect(cookie).toMatch(/^oauth_lab_as_sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/_-]+/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
  })

  it('the alias /site/oauth2/authorize serves the same flow', async () => {
    const res = await app.inject({ method: 'GET', url: `/site/oauth2/authorize?${authorizeQuery(config)}` })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('name="password"')
  })

  it('wrong credentials: the form again with an error, status 401', async () => {
    const { browser, res } = await loginPage()
    const again = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: 'alice',
      password: 'wrong',
    })
    expect(again.statusCode).toBe(401)
    expect(again.body).toContain('Wrong username or password.')
    expect(again.body).toContain('name="password"')
    expect(again.body).toContain('value="alice"')
    expect(again.body).not.toContain('wrong')
  })

  it('unknown user: 401 as well', async () => {
    const { browser, res } = await loginPage()
    const again = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: 'mallory',
      password: 'mallory-password',
    })
    expect(again.statusCode).toBe(401)
  })

  it('a POST without the CSRF token, or with a wrong one, is 403', async () => {
    const { browser, res } = await loginPage()
    const form = { interaction: hiddenField(res.body, 'interaction'), username: 'alice', password: 'alice-password' }
    const missing = await browser.postForm('/login', form)
    expect(missing.statusCode).toBe(403)
    const wrong = await browser.postForm('/login', { ...form, _csrf: 'AAAAAAAA-forged' })
    expect(wrong.statusCode).toBe(403)
    expect(wrong.headers['content-type']).toMatch(/^text\/html/)
  })

  it('a CSRF token from another session is refused', async () => {
    const a = await loginPage()
    const b = await loginPage()
    const res = await b.browser.postForm('/login', {
      _csrf: hiddenField(a.res.body, '_csrf'),
      interaction: hiddenField(b.res.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(res.statusCode).toBe(403)
  })

  it('an unknown interaction is a 400 page, not a redirect', async () => {
    const { browser, res } = await loginPage()
    const bad = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: 'made-up',
      username: 'alice',
      password: 'alice-password',
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.headers.location).toBeUndefined()
  })

  it('signing in gives a new session id (no session fixation) and returns to /authorize', async () => {
    const { browser, res } = await loginPage()
    const before = browser.cookies.get('oauth_lab_as_sid')
    const login = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(login.statusCode).toBe(303)
    expect(login.headers.location).toBe(`/authorize?${authorizeQuery(config)}`)
    expect(browser.cookies.get('oauth_lab_as_sid')).not.toBe(before)
  })
})

describe('step 3: the consent page', () => {
  it('names the client and each scope with its description', async () => {
    const { res } = await signIn()
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('OAuth Client 1')
    for (const scope of config.scopes) {
      expect(res.body).toContain(`<code>${scope.name}</code>: ${scope.description}`)
    }
    expect(res.body).toMatch(/<button type="submit" name="decision" value="allow">Allow<\/button>/)
    expect(res.body).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/)
    expect(res.body).toMatch(/<input type="checkbox" name="remember" value="on" checked> Remember this decision/)
    expect(res.body).toMatch(
      /<p class="muted" id="remember-note">[^<]*<a href="\/account\/grants">your grants<\/a>: [^<]*works until it expires/,
    )
    expect(res.headers['x-frame-options']).toBe('DENY')
  })

  it("with no scope parameter asks for the client's registered scopes (RFC 6749 §3.3 default)", async () => {
    const { res } = await signIn({ scope: undefined })
    expect(res.body).toContain('<code>foo</code>')
    expect(res.body).toContain('<code>bar</code>')
  })

  it('Deny: redirect with error=access_denied, error_description, state and iss', async () => {
    const { browser, res } = await signIn()
    const denied = await browser.postForm('/consent', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'deny',
    })
    expect(denied.statusCode).toBe(303)
    const params = locationParams(denied)
    expect(params.get('error')).toBe('access_denied')
    // RFC 6749 §4.1.2.1: human-readable text beside the code.
    expect(params.get('error_description')).toMatch(/\w+/)
    expect(params.get('state')).toBe('state-123')
    expect(params.get('iss')).toBe(ISSUER)
    expect(params.get('code')).toBeNull()
  })

  it('a consent POST without its CSRF token is 403 and issues no code', async () => {
    const { browser, res } = await signIn()
    const forged = await browser.postForm('/consent', {
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
    })
    expect(forged.statusCode).toBe(403)
    expect(forged.headers.location).toBeUndefined()
  })

  it('a consent POST without a session is refused', async () => {
    const { res } = await signIn()
    const stranger = injectBrowser(app)
    const forged = await stranger.postForm('/consent', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
    })
    expect(forged.statusCode).toBe(403)
  })
})

describe('step 4: the code redirect', () => {
  it('Allow: redirect to the exact redirect URI with a fresh code, the state as sent and iss', async () => {
    const state = 'Lwt50DDQKUB8U7jtfLQCVGDL9cnmwHH1 +/?&=%'
    const { res, params } = await obtainCode(app, config, { query: { state } })
    expect(res.statusCode).toBe(303)
    expect((res.headers.location as string).startsWith(`${REDIRECT}?`)).toBe(true)
    expect(params.get('state')).toBe(state)
    expect(params.get('iss')).toBe(ISSUER)
    // docs/contract.md / RFC 6749 §10.10: ≥ 160 bits; 43 base64url characters carry 258.
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('codes are distinct', async () => {
    const codes = new Set<string>()
    const { browser } = await obtainCode(app, config)
    for (let i = 0; i < 20; i++) {
      const res = await browser.get(`/authorize?${authorizeQuery(config)}`)
      codes.add(locationParams(res).get('code')!)
    }
    expect(codes.size).toBe(20)
  })

  it('a remembered decision skips consent in the same session: 302 straight back with a code', async () => {
    const { browser } = await obtainCode(app, config)
    const again = await browser.get(`/authorize?${authorizeQuery(config, { state: 'second' })}`)
    expect(again.statusCode).toBe(302)
    expect(locationParams(again).get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(locationParams(again).get('state')).toBe('second')
  })

  it('a remembered decision still requires signing in, then skips consent (step 2 of the seven steps)', async () => {
    const { app: fresh, config: cfg } = await testAuthServer()
    await obtainCode(fresh, cfg, { username: 'bob' })
    const browser = injectBrowser(fresh)
    const page = await browser.get(`/authorize?${authorizeQuery(cfg)}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('name="password"')
    const login = await browser.postForm('/login', {
      _csrf: hiddenField(page.body, '_csrf'),
      interaction: hiddenField(page.body, 'interaction'),
      username: 'bob',
      password: 'bob-password',
    })
    const back = await browser.get(login.headers.location as string)
    expect(back.statusCode).toBe(302)
    expect(locationParams(back).get('code')).toBeTruthy()
    await fresh.close()
  })

  it("a decision is remembered per user: alice's does not skip bob's consent", async () => {
    const { app: fresh, config: cfg } = await testAuthServer()
    await obtainCode(fresh, cfg, { username: 'alice' })
    const { res } = await (async () => {
      const browser = injectBrowser(fresh)
      const page = await browser.get(`/authorize?${authorizeQuery(cfg)}`)
      const login = await browser.postForm('/login', {
        _csrf: hiddenField(page.body, '_csrf'),
        interaction: hiddenField(page.body, 'interaction'),
        username: 'bob',
        password: 'bob-password',
      })
      return { res: await browser.get(login.headers.location as string) }
    })()
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('name="decision"')
    await fresh.close()
  })

  it('without "remember", the next authorization asks again', async () => {
    const { app: fresh, config: cfg } = await testAuthServer()
    const { browser, params } = await obtainCode(fresh, cfg, { remember: false })
    expect(params.get('code')).toBeTruthy()
    const again = await browser.get(`/authorize?${authorizeQuery(cfg)}`)
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('name="decision"')
    await fresh.close()
  })

  it('a remembered decision for fewer scopes does not cover more', async () => {
    const { app: fresh, config: cfg } = await testAuthServer()
    const { browser } = await obtainCode(fresh, cfg, { query: { scope: 'foo' } })
    const wider = await browser.get(`/authorize?${authorizeQuery(cfg, { scope: 'foo bar' })}`)
    expect(wider.statusCode).toBe(200)
    expect(wider.body).toContain('name="decision"')
    const narrower = await browser.get(`/authorize?${authorizeQuery(cfg, { scope: 'foo' })}`)
    expect(narrower.statusCode).toBe(302)
    await fresh.close()
  })

  it('the public client gets a code with PKCE', async () => {
    const { challenge } = pkcePair()
    const { params } = await obtainCode(app, config, {
      query: { client_id: 'oauth-client-public', code_challenge: challenge, code_challenge_method: 'S256' },
    })
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('Host and X-Forwarded-Host never change iss', async () => {
    const { browser } = await obtainCode(app, config)
    const res = await browser.request({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config)}`,
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    })
    expect(locationParams(res).get('iss')).toBe(ISSUER)
  })
})
