import { describe, expect, it } from 'vitest'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { signIdToken } from '../../src/auth-server/oidc/id-token.js'
import { loadConfig } from '../../src/shared/config.js'
import { loggerOptions, redactUrl } from '../../src/shared/logging.js'

describe('redactUrl', () => {
  it('hides codes, state, tokens and secrets but keeps the rest', () => {
    const url = redactUrl('/authenticated?code=SECRETCODE&state=S1&iss=http%3A%2F%2Flocalhost%3A9001&x=1')
    expect(url).not.toContain('SECRETCODE')
    expect(url).not.toContain('S1')
    expect(url).toContain('iss=http%3A%2F%2Flocalhost%3A9001')
    expect(url).toContain('x=1')
    expect(redactUrl('/healthz')).toBe('/healthz')
  })
})

describe('loggerOptions', () => {
  it('keeps Authorization headers, cookies and query secrets out of request logs', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const options = loggerOptions('auth-server', 'info') as Record<string, unknown>
    const app = Fastify({ logger: { ...options, stream } })
    app.get('/authenticated', async (request) => {
      request.log.info({ req: request }, 'seen')
      return 'ok'
    })
    await app.inject({
      method: 'GET',
      url: '/authenticated?code=THE-CODE&state=THE-STATE',
      headers: {
        authorization: 'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x',
        cookie: 'oauth_lab_as_sid=SESSION',
      },
    })
    await app.close()
    const text = lines.join('')
    expect(text).toContain('"role":"auth-server"')
    expect(text).toContain('/authenticated?code=%5Bredacted%5D')
    for (const secret of ['THE-CODE', 'THE-STATE', 'b2F1dGgtY2xpZW50', 'SESSION']) expect(text).not.toContain(secret)
  })
})

describe('redactUrl: hints, nonce, lab key and JWTs', () => {
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'

  it('hides id_token_hint, login_hint, nonce, lab_key and the other secrets', () => {
    const secrets = {
      id_token_hint: 'HINT-1',
      login_hint: 'alice@example.test',
      nonce: 'N-1',
      code: 'C-1',
      state: 'S-1',
      code_verifier: 'V-1',
      lab_key: 'K-1',
      access_token: 'A-1',
      refresh_token: 'R-1',
      client_secret: 'CS-1',
    }
    const url = redactUrl(`/x?${new URLSearchParams({ ...secrets, client_id: 'oauth-client-1' }).toString()}`)
    for (const [name, value] of Object.entries(secrets)) {
      expect(url).toContain(`${name}=%5Bredacted%5D`)
      expect(url).not.toContain(encodeURIComponent(value))
    }
    expect(url).toContain('client_id=oauth-client-1')
  })

  it('hides a JWT-like value in any parameter or in the path, repeated parameters included', () => {
    const url = redactUrl(`/tokens/${jwt}/x?whatever=${jwt}&whatever=plain&other=${jwt}&keep=eyJ`)
    expect(url).not.toContain('eyJhbGci')
    expect(url).not.toContain('c2lnbmF0dXJl')
    expect(url).toContain('/tokens/[redacted]/x?')
    expect(url).toContain('other=%5Bredacted%5D')
    expect(url).toContain('keep=eyJ')
    expect(redactUrl(`/x/${jwt}`)).toBe('/x/[redacted]')
    // An unsigned JWT (empty signature) is still a JWT.
    expect(redactUrl('/x?t=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.')).toBe('/x?t=%5Bredacted%5D')
  })
})

describe('request logs of the authorization server, at info level', () => {
  it('carry no hint, nonce, state, lab key or ID token for /authorize and /end-session over HTTP', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const config = loadConfig({ LOG_LEVEL: 'info' })
    const options = loggerOptions('auth-server', 'info') as Record<string, unknown>
    const app = await buildAuthServer(config, { logger: { ...options, stream } })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const idToken = await signIdToken(app.oauthLab, {
      sub: 'alice',
      clientId: 'oauth-client-1',
      authTime: Math.floor(Date.now() / 1000),
      nonce: 'THE-ID-NONCE',
      accessToken: 'an-access-token',
    })
    const authorize = new URLSearchParams({
      response_type: 'code',
      client_id: 'oauth-client-1',
      redirect_uri: 'http://localhost:3000/authenticated',
      scope: 'openid foo',
      state: 'THE-STATE',
      nonce: 'THE-NONCE',
      login_hint: 'alice-the-hint',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })
    const endSession = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: 'http://localhost:3000/',
      state: 'THE-LOGOUT-STATE',
    })
    const answers = await Promise.all(
      [`/authorize?${authorize.toString()}`, `/end-session?${endSession.toString()}`, '/jwks?lab_key=THE-LAB-KEY'].map(
        async (path) => (await fetch(`${base}${path}`, { redirect: 'manual' })).status,
      ),
    )
    expect(answers).toEqual([200, 303, 401])
    await app.close()
    const text = lines.join('')
    expect(text).toContain('"level":30')
    expect(text).toContain('"url":"/authorize?response_type=code&client_id=oauth-client-1')
    expect(text).toContain('login_hint=%5Bredacted%5D')
    expect(text).toContain('"url":"/end-session?id_token_hint=%5Bredacted%5D')
    for (const secret of [
      'THE-STATE',
      'THE-NONCE',
      'alice-the-hint',
      'THE-LOGOUT-STATE',
      'THE-LAB-KEY',
      'THE-ID-NONCE',
      ...idToken.split('.'),
    ]) {
      expect(text).not.toContain(secret)
    }
  })
})

describe('redactUrl: the device grant and pushed requests', () => {
  it('hides user_code (verification_uri_complete) and request_uri (RFC 8628 §3.3.1, RFC 9126 §4)', () => {
    const url = redactUrl('/device?user_code=BCDF-GHJK')
    expect(url).not.toContain('BCDF')
    const par = redactUrl('/authorize?client_id=c&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3ASECRET')
    expect(par).toContain('client_id=c')
    expect(par).not.toContain('SECRET')
  })
})
