// OpenID Connect on top of the code flow: ID token, prompt, max_age,
// userinfo, discovery and RP-initiated logout.

import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { accessTokenHash } from '../../../src/auth-server/oidc/id-token.js'
import { authorizeQuery, obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { redeemCode } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser, locationParams } from '../../helpers/inject-browser.js'

async function openidTokens(
  scope = 'openid profile email foo',
  extra: Record<string, string> = {},
  env: Record<string, string> = {},
) {
  const server = await testAuthServer(env)
  const pkce = pkcePair()
  const { params, browser } = await obtainCode(server.app, server.config, {
    query: { scope, nonce: 'n-0S6_WzA2Mj', code_challenge: pkce.challenge, code_challenge_method: 'S256', ...extra },
  })
  const res = await redeemCode(server.app, server.config, params.get('code')!, pkce.verifier)
  return { ...server, browser, tokens: res.json() }
}

describe('ID token', () => {
  it('comes with an openid request: iss, sub, aud, nonce, auth_time, at_hash, signed by /jwks', async () => {
    const { app, clock, tokens } = await openidTokens()
    expect(typeof tokens.id_token).toBe('string')
    const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/jwks' })).json())
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
      issuer: 'http://localhost:9001',
      audience: 'oauth-client-1',
      currentDate: new Date(clock.now()),
      // RS256 by default (OpenID Connect Discovery 1.0 §3), whatever SIGNING_ALG says.
      algorithms: ['RS256'],
    })
    expect(protectedHeader).toMatchObject({ typ: 'JWT', alg: 'RS256' })
    expect(payload.sub).toBe('alice')
    expect(payload.nonce).toBe('n-0S6_WzA2Mj')
    expect(payload.auth_time).toBe(Math.floor(clock.now() / 1000))
    expect(payload.at_hash).toBe(accessTokenHash(tokens.access_token, 'RS256'))
    await app.close()
  })

  it('is absent without openid', async () => {
    const { app, tokens } = await openidTokens('foo')
    expect(tokens.id_token).toBeUndefined()
    await app.close()
  })

  it('an openid request without redirect_uri is invalid_request (OIDC Core 3.1.2.1)', async () => {
    const { app, config } = await testAuthServer()
    const res = await app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config, { scope: 'openid', redirect_uri: undefined })}`,
    })
    expect(locationParams(res).get('error')).toBe('invalid_request')
    await app.close()
  })
})

describe('prompt and max_age', () => {
  it('prompt=none: login_required when signed out, consent_required without consent, a code when remembered', async () => {
    const { app, config } = await testAuthServer()
    const anon = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config, { prompt: 'none' })}` })
    expect(anon.statusCode).toBe(302)
    expect(locationParams(anon).get('error')).toBe('login_required')
    const { browser } = await obtainCode(app, config, { remember: false })
    const noConsent = await browser.get(`/authorize?${authorizeQuery(config, { prompt: 'none' })}`)
    expect(locationParams(noConsent).get('error')).toBe('consent_required')
    const { browser: remembered } = await obtainCode(app, config)
    const silent = await remembered.get(`/authorize?${authorizeQuery(config, { prompt: 'none' })}`)
    expect(locationParams(silent).get('code')).toBeTruthy()
    await app.close()
  })

  it('prompt=login asks to sign in again, then continues without looping', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    const page = await browser.get(`/authorize?${authorizeQuery(config, { prompt: 'login' })}`)
    expect(page.body).toContain('name="password"')
    const login = await browser.postForm('/login', {
      _csrf: hiddenField(page.body, '_csrf'),
      interaction: hiddenField(page.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(login.headers.location).not.toContain('prompt=login')
    const back = await browser.get(login.headers.location as string)
    expect(back.statusCode).toBe(302)
    expect(locationParams(back).get('code')).toBeTruthy()
    await app.close()
  })

  it('prompt=consent asks again despite a remembered decision', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    const page = await browser.get(`/authorize?${authorizeQuery(config, { prompt: 'consent' })}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('name="decision"')
    await app.close()
  })

  it('max_age older than the sign-in asks to sign in again', async () => {
    const { app, config, clock } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    clock.advance(120_000)
    const fresh = await browser.get(`/authorize?${authorizeQuery(config, { max_age: '600' })}`)
    expect(fresh.statusCode).toBe(302)
    const stale = await browser.get(`/authorize?${authorizeQuery(config, { max_age: '60' })}`)
    expect(stale.statusCode).toBe(200)
    expect(stale.body).toContain('name="password"')
    await app.close()
  })

  it('bad prompt or max_age values are invalid_request', async () => {
    const { app, config } = await testAuthServer()
    for (const extra of [{ prompt: 'none login' }, { prompt: 'sometimes' }, { max_age: '-1' }]) {
      const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config, extra)}` })
      expect(locationParams(res).get('error')).toBe('invalid_request')
    }
    await app.close()
  })
})

describe('GET /userinfo', () => {
  it('returns sub and the claims of the granted scopes', async () => {
    const { app, tokens } = await openidTokens()
    const res = await app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({
      sub: 'alice',
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.test',
      email_verified: true,
    })
    const post = await app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(post.json().sub).toBe('alice')
    await app.close()
  })

  it('only sub with scope openid alone', async () => {
    const { app, tokens } = await openidTokens('openid')
    const res = await app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(res.json()).toEqual({ sub: 'alice' })
    await app.close()
  })

  it('RFC 6750 errors: no token, bad token, token without openid', async () => {
    const { app, tokens } = await openidTokens('foo')
    const none = await app.inject({ method: 'GET', url: '/userinfo' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer realm="oauth-lab"')
    const bad = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: 'Bearer not.a.token' } })
    expect(bad.statusCode).toBe(401)
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"')
    const scope = await app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(scope.statusCode).toBe(403)
    expect(scope.headers['www-authenticate']).toContain('error="insufficient_scope"')
    await app.close()
  })
})

describe('discovery', () => {
  it('/.well-known/openid-configuration has the OIDC fields', async () => {
    const { app } = await testAuthServer()
    const meta = (await app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json()
    expect(meta).toMatchObject({
      issuer: 'http://localhost:9001',
      userinfo_endpoint: 'http://localhost:9001/userinfo',
      end_session_endpoint: 'http://localhost:9001/end-session',
      subject_types_supported: ['public'],
      // OpenID Connect Discovery 1.0 §3: RS256 must be listed.
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
    })
    expect(meta.scopes_supported).toContain('openid')
    await app.close()
  })
})

describe('RP-initiated logout (GET /end-session)', () => {
  it('asks to confirm, signs out, and returns to the registered URI with state', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    const page = await browser.get(
      '/end-session?client_id=oauth-client-1&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F&state=s1',
    )
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Sign out?')
    const out = await browser.postForm('/logout', {
      _csrf: hiddenField(page.body, '_csrf'),
      interaction: hiddenField(page.body, 'interaction'),
    })
    expect(out.statusCode).toBe(303)
    expect(out.headers.location).toBe('http://localhost:3000/?state=s1')
    expect((await browser.get(`/authorize?${authorizeQuery(config)}`)).body).toContain('name="password"')
    await app.close()
  })

  it('an unregistered post_logout_redirect_uri is a 400 page, never a redirect', async () => {
    const { app } = await testAuthServer()
    const res = await app.inject({
      method: 'GET',
      url: '/end-session?client_id=oauth-client-1&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F',
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers.location).toBeUndefined()
    await app.close()
  })

  it('without a session, goes straight back', async () => {
    const { app } = await testAuthServer()
    const browser = injectBrowser(app)
    const res = await browser.get(
      '/end-session?client_id=oauth-client-1&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F',
    )
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('http://localhost:3000/')
    await app.close()
  })
})

describe('headless sign-in (tests only)', () => {
  it('AUTO_LOGIN signs in and consents without any page', async () => {
    const { app, config } = await testAuthServer({ AUTO_LOGIN: 'bob' })
    const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config)}` })
    expect(res.statusCode).toBe(302)
    expect(locationParams(res).get('code')).toBeTruthy()
    await app.close()
  })

  it('LOGIN_HINT=on honours login_hint; off by default', async () => {
    const on = await testAuthServer({ LOGIN_HINT: 'on' })
    const hinted = await on.app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(on.config, { login_hint: 'alice' })}`,
    })
    expect(locationParams(hinted).get('code')).toBeTruthy()
    await on.app.close()
    const off = await testAuthServer()
    const page = await off.app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(off.config, { login_hint: 'alice' })}`,
    })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('name="password"')
    await off.app.close()
  })
})
