// Steps 5-6: POST /token with the authorization_code grant.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import { basic, obtainCode, pkcePair, testAuthServer, type TestClock } from '../../helpers/auth-server.js'
import { CLIENT_BASIC, expectOAuthError, postForm, redeemCode } from '../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock
const REDIRECT = 'http://localhost:3000/authenticated'

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

function postToken(form: Record<string, string>, headers: Record<string, string> = {}, url = '/token') {
  return postForm(app, url, form, { headers })
}

async function codeWithPkce(query: Record<string, string> = {}, target = app, cfg = config) {
  const pkce = pkcePair()
  const { params } = await obtainCode(target, cfg, {
    query: { code_challenge: pkce.challenge, code_challenge_method: 'S256', ...query },
  })
  return { code: params.get('code')!, verifier: pkce.verifier }
}

function redeem(
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
  headers = { authorization: CLIENT_BASIC },
) {
  return redeemCode(app, config, code, verifier, { headers }, extra)
}

describe('steps 5-6: a valid token request', () => {
  it('answers 200 JSON with the token, no-store and no-cache (RFC 6749 §5.1)', async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await redeem(code, verifier)
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.pragma).toBe('no-cache')
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(body.token_type).toBe('Bearer')
    expect(body.expires_in).toBe(3600)
    expect(body.scope).toBe('foo bar')
  })

  it('issues an RFC 9068 JWT signed by a key from /jwks, with public iss and aud', async () => {
    const { code, verifier } = await codeWithPkce()
    const token = (await redeem(code, verifier)).json().access_token as string
    const header = decodeProtectedHeader(token)
    expect(header.typ).toBe('at+jwt')
    expect(header.alg).toBe('ES256')
    const jwks = (await app.inject({ method: 'GET', url: '/jwks' })).json()
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid)
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: 'http://localhost:9001',
      audience: 'http://localhost:9002',
      typ: 'at+jwt',
      currentDate: new Date(clock.now()),
    })
    expect(payload.sub).toBe('alice')
    expect(payload.client_id).toBe('oauth-client-1')
    expect(payload.scope).toBe('foo bar')
    expect(payload.exp! - payload.iat!).toBe(3600)
    expect(payload.iat).toBe(Math.floor(clock.now() / 1000))
    expect(typeof payload.jti).toBe('string')
  })

  it('binds the token to the scopes granted at step 3', async () => {
    const { code, verifier } = await codeWithPkce({ scope: 'bar' })
    const body = (await redeem(code, verifier)).json()
    expect(body.scope).toBe('bar')
    expect(decodeJwt(body.access_token).scope).toBe('bar')
  })

  it('accepts client_secret_post', async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await redeem(
      code,
      verifier,
      { client_id: 'oauth-client-1', client_secret: 'oauth-client-secret-1' },
      {} as never,
    )
    expect(res.statusCode).toBe(200)
  })

  it("accepts the book's alias /site/oauth2/access_token", async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await postToken(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      { authorization: CLIENT_BASIC },
      '/site/oauth2/access_token',
    )
    expect(res.statusCode).toBe(200)
  })

  it('works without PKCE for the confidential client (PKCE honoured, not required)', async () => {
    const { params } = await obtainCode(app, config)
    const res = await postToken(
      { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: REDIRECT },
      { authorization: CLIENT_BASIC },
    )
    expect(res.statusCode).toBe(200)
  })

  it('the public client redeems with client_id and verifier, no secret', async () => {
    const { code, verifier } = await codeWithPkce({ client_id: 'oauth-client-public' })
    const res = await redeem(code, verifier, { client_id: 'oauth-client-public' }, {} as never)
    expect(res.statusCode).toBe(200)
    expect(decodeJwt(res.json().access_token).client_id).toBe('oauth-client-public')
  })
})

describe('the code is one-time, short-lived and bound', () => {
  it('a second use fails with invalid_grant and revokes the tokens issued from it', async () => {
    const { code, verifier } = await codeWithPkce()
    const first = await redeem(code, verifier)
    const jti = decodeJwt(first.json().access_token).jti!
    expect(app.oauthLab.store.isRevoked(jti)).toBe(false)
    const second = await redeem(code, verifier)
    expectOAuthError(second, 400, 'invalid_grant')
    expect(second.json().error_description).toBe(
      'The authorization code was already used; tokens issued from it are revoked (RFC 6749 section 4.1.2).',
    )
    expect(app.oauthLab.store.isRevoked(jti)).toBe(true)
  })

  it('expires after 60 s', async () => {
    const { code, verifier } = await codeWithPkce()
    clock.advance(60_001)
    expectOAuthError(await redeem(code, verifier), 400, 'invalid_grant')
  })

  it('is still good just before 60 s', async () => {
    const { code, verifier } = await codeWithPkce()
    clock.advance(59_000)
    expect((await redeem(code, verifier)).statusCode).toBe(200)
  })

  it('honours CODE_TTL_SECONDS', async () => {
    const other = await testAuthServer({ CODE_TTL_SECONDS: '120' })
    const a = await codeWithPkce({}, other.app, other.config)
    other.clock.advance(90_000)
    const ok = await redeemCode(other.app, other.config, a.code, a.verifier)
    expect(ok.statusCode).toBe(200)
    await other.app.close()
  })

  it('an unknown code is invalid_grant', async () => {
    expectOAuthError(await redeem('x'.repeat(43), 'v'.repeat(43)), 400, 'invalid_grant')
  })

  it('a code issued to another client is invalid_grant', async () => {
    const { code, verifier } = await codeWithPkce({ client_id: 'oauth-client-public' })
    expectOAuthError(await redeem(code, verifier), 400, 'invalid_grant')
  })

  it('a redirect_uri that differs from step 1 is invalid_grant (RFC 6749 §4.1.3)', async () => {
    const { code, verifier } = await codeWithPkce()
    expectOAuthError(
      await redeem(code, verifier, { redirect_uri: 'http://localhost:3000/other' }),
      400,
      'invalid_grant',
    )
  })

  it('a missing redirect_uri, when step 1 sent one, is invalid_grant', async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await postToken(
      { grant_type: 'authorization_code', code, code_verifier: verifier },
      { authorization: CLIENT_BASIC },
    )
    expectOAuthError(res, 400, 'invalid_grant')
  })
})

describe('PKCE at the token endpoint (RFC 7636 §4.6, RFC 9700 §2.1.1)', () => {
  it('a wrong verifier is invalid_grant', async () => {
    const { code } = await codeWithPkce()
    const res = await redeem(code, pkcePair().verifier)
    expectOAuthError(res, 400, 'invalid_grant')
    expect(res.json().error_description).toContain('does not match')
  })

  it('a missing verifier is invalid_grant', async () => {
    const { code } = await codeWithPkce()
    const res = await postToken(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
      { authorization: CLIENT_BASIC },
    )
    expectOAuthError(res, 400, 'invalid_grant')
  })

  it('a malformed verifier is invalid_grant', async () => {
    const { code } = await codeWithPkce()
    expectOAuthError(await redeem(code, 'too-short'), 400, 'invalid_grant')
  })

  it('a verifier when step 1 had no challenge is refused (downgrade)', async () => {
    const { params } = await obtainCode(app, config)
    const res = await redeem(params.get('code')!, pkcePair().verifier)
    expectOAuthError(res, 400, 'invalid_grant')
  })
})

describe('client authentication (RFC 6749 §2.3.1, §5.2)', () => {
  it('a wrong secret over Basic: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await redeem(code, verifier, {}, { authorization: basic('oauth-client-1', 'wrong') })
    expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="oauth-lab"/)
    expect(res.body).not.toContain('oauth-client-secret-1')
  })

  it('a wrong secret in the body: 401 invalid_client without a Basic challenge', async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await redeem(code, verifier, { client_id: 'oauth-client-1', client_secret: 'wrong' }, {} as never)
    expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers['www-authenticate']).toBeUndefined()
  })

  it('an unknown client over Basic: 401', async () => {
    const res = await redeem('c'.repeat(43), 'v'.repeat(43), {}, { authorization: basic('nobody', 'x') })
    expectOAuthError(res, 401, 'invalid_client')
  })

  it('malformed Basic credentials: 401', async () => {
    for (const authorization of ['Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Bearer abc']) {
      expectOAuthError(await redeem('c'.repeat(43), 'v'.repeat(43), {}, { authorization }), 401, 'invalid_client')
    }
  })

  it('no authentication at all: 401 invalid_client', async () => {
    expectOAuthError(await redeem('c'.repeat(43), 'v'.repeat(43), {}, {} as never), 401, 'invalid_client')
  })

  it('the confidential client without its secret: 401', async () => {
    const { code, verifier } = await codeWithPkce()
    expectOAuthError(await redeem(code, verifier, { client_id: 'oauth-client-1' }, {} as never), 401, 'invalid_client')
  })

  it('Basic and client_secret together: 400 invalid_request', async () => {
    const { code, verifier } = await codeWithPkce()
    const res = await redeem(code, verifier, { client_secret: 'oauth-client-secret-1' })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('Basic credentials are form-urlencoded before Base64', async () => {
    const { code, verifier } = await codeWithPkce()
    const encoded = `Basic ${Buffer.from('oauth%2Dclient%2D1:oauth-client-secret-1').toString('base64')}`
    expect((await redeem(code, verifier, {}, { authorization: encoded })).statusCode).toBe(200)
  })

  it("the resource server's client may not use the token endpoint", async () => {
    const res = await redeem(
      'c'.repeat(43),
      'v'.repeat(43),
      {},
      { authorization: basic('oauth-resource-1', 'oauth-resource-secret-1') },
    )
    expectOAuthError(res, 400, 'unauthorized_client')
  })
})

describe('malformed token requests', () => {
  it('a JSON body is invalid_request (form body only, RFC 6749 §3.2)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/json', authorization: CLIENT_BASIC },
      payload: JSON.stringify({ grant_type: 'authorization_code', code: 'x' }),
    })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('a repeated parameter is invalid_request', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: CLIENT_BASIC },
      payload: 'grant_type=authorization_code&code=a&code=b',
    })
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json().error_description).toContain('code')
  })

  it('a missing grant_type is invalid_request', async () => {
    expectOAuthError(await postToken({ code: 'x' }, { authorization: CLIENT_BASIC }), 400, 'invalid_request')
  })

  it('the password grant is unsupported_grant_type (RFC 9700 §2.4)', async () => {
    const res = await postToken(
      { grant_type: 'password', username: 'alice', password: 'alice-password' },
      { authorization: CLIENT_BASIC },
    )
    expectOAuthError(res, 400, 'unsupported_grant_type')
  })

  it('a missing code is invalid_request', async () => {
    expectOAuthError(
      await postToken({ grant_type: 'authorization_code' }, { authorization: CLIENT_BASIC }),
      400,
      'invalid_request',
    )
  })

  it('credentials in the query string are refused', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/token?client_secret=oauth-client-secret-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: CLIENT_BASIC },
      payload: 'grant_type=authorization_code&code=x',
    })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('an oversized body is a 413 JSON error, not a crash', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: CLIENT_BASIC },
      payload: `grant_type=authorization_code&code=${'x'.repeat(20_000)}`,
    })
    expectOAuthError(res, 413, 'invalid_request')
  })

  it('GET /token is not a token endpoint', async () => {
    const res = await app.inject({ method: 'GET', url: '/token' })
    expect(res.statusCode).toBe(404)
  })
})
