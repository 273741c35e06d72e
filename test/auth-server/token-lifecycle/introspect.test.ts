// POST /introspect (RFC 7662): how the resource server, in introspection mode,
// learns whether a token is still good. Callers authenticate; the resource
// server's client may ask about any token, a client only about its own.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import { basic, testAuthServer, type TestClock } from '../../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  introspect,
  postForm,
  publicClient,
  PUBLIC_CLIENT,
  RESOURCE_BASIC,
  resourceServer,
  revoke,
  refresh,
  tokensFor,
} from '../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

describe('the caller must authenticate (RFC 7662 §2.1, §2.3)', () => {
  it('no credentials: 401 invalid_client', async () => {
    const { access_token } = await tokensFor(app, config)
    expectOAuthError(await introspect(app, access_token, {}, {}), 401, 'invalid_client')
  })

  it('a wrong secret over Basic: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await introspect(
      app,
      access_token,
      {},
      { headers: { authorization: basic('oauth-resource-1', 'wrong') } },
    )
    expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="oauth-lab"/)
    expect(res.json().active).toBeUndefined()
  })

  it('a wrong secret in the body: 401 invalid_client, no Basic challenge', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await introspect(
      app,
      access_token,
      {},
      { form: { client_id: 'oauth-resource-1', client_secret: 'wrong' } },
    )
    expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers['www-authenticate']).toBeUndefined()
  })

  it('the public client, which cannot authenticate: 401 invalid_client', async () => {
    const { access_token } = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    expectOAuthError(await introspect(app, access_token, {}, publicClient), 401, 'invalid_client')
  })

  it('a missing token: 400 invalid_request', async () => {
    expectOAuthError(await postForm(app, '/introspect', {}, resourceServer), 400, 'invalid_request')
    expectOAuthError(await introspect(app, ''), 400, 'invalid_request')
  })
})

describe('an active access token (RFC 7662 §2.2)', () => {
  it('the resource server gets every claim, no-store', async () => {
    const { access_token } = await tokensFor(app, config)
    const claims = decodeJwt(access_token)
    const res = await introspect(app, access_token)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.pragma).toBe('no-cache')
    expect(res.json()).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'foo bar',
      client_id: 'oauth-client-1',
      sub: 'alice',
      username: 'alice',
      exp: claims.exp,
      iat: claims.iat,
      aud: config.resource.publicUrl,
      iss: config.auth.publicUrl,
      jti: claims.jti,
    })
    expect(claims.exp! - claims.iat!).toBe(3600)
    expect(claims.iat).toBe(Math.floor(clock.now() / 1000))
  })

  it('the resource server may authenticate with client_secret_post too', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await introspect(
      app,
      access_token,
      {},
      { form: { client_id: 'oauth-resource-1', client_secret: 'oauth-resource-secret-1' } },
    )
    expect(res.json()).toMatchObject({ active: true, sub: 'alice' })
  })

  it('a wrong token_type_hint still finds the token (RFC 7662 §2.1)', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await introspect(app, access_token, { token_type_hint: 'refresh_token' })
    expect(res.json()).toMatchObject({ active: true, token_type: 'Bearer', sub: 'alice' })
    const unknownHint = await introspect(app, access_token, { token_type_hint: 'id_token' })
    expect(unknownHint.json()).toMatchObject({ active: true, token_type: 'Bearer' })
  })

  it('oauth-client-1 may introspect its own token', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await introspect(app, access_token, {}, confidential)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ active: true, client_id: 'oauth-client-1', sub: 'alice' })
  })

  it("a client asking about another client's token learns nothing: {active:false}", async () => {
    const { access_token, refresh_token } = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    expect((await introspect(app, access_token)).json().active).toBe(true)
    for (const token of [access_token, refresh_token!]) {
      const res = await introspect(app, token, {}, confidential)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ active: false })
    }
  })
})

describe('tokens that are not active: {active:false} and nothing else (RFC 7662 §2.2)', () => {
  it('an expired access token', async () => {
    const lab = await testAuthServer()
    try {
      const { access_token } = await tokensFor(lab.app, lab.config)
      lab.clock.advance(3600_000 - 1_000)
      expect((await introspect(lab.app, access_token)).json().active).toBe(true)
      lab.clock.advance(1_000)
      const res = await introspect(lab.app, access_token)
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.json()).toEqual({ active: false })
    } finally {
      await lab.app.close()
    }
  })

  it('honours ACCESS_TOKEN_TTL_SECONDS', async () => {
    const lab = await testAuthServer({ ACCESS_TOKEN_TTL_SECONDS: '60' })
    try {
      const { access_token, expires_in } = await tokensFor(lab.app, lab.config)
      expect(expires_in).toBe(60)
      lab.clock.advance(60_000)
      expect((await introspect(lab.app, access_token)).json()).toEqual({ active: false })
    } finally {
      await lab.app.close()
    }
  })

  it('a revoked access token', async () => {
    const { access_token } = await tokensFor(app, config)
    expect((await revoke(app, access_token)).statusCode).toBe(200)
    expect((await introspect(app, access_token)).json()).toEqual({ active: false })
  })

  it('garbage, and a JWT-looking string that is not ours', async () => {
    for (const token of ['garbage', 'a.b.c', 'x'.repeat(43)]) {
      const res = await introspect(app, token)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ active: false })
    }
  })

  it('an access token with a forged signature', async () => {
    const { access_token } = await tokensFor(app, config)
    const [header, payload] = access_token.split('.')
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`
    expect((await introspect(app, forged)).json()).toEqual({ active: false })
  })
})

describe('refresh tokens', () => {
  it('an active refresh token: token_type refresh_token', async () => {
    const { refresh_token } = await tokensFor(app, config)
    const res = await introspect(app, refresh_token!)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      scope: 'foo bar',
      client_id: 'oauth-client-1',
      sub: 'alice',
      iss: config.auth.publicUrl,
    })
    expect(body.exp).toBe(Math.floor(clock.now() / 1000) + config.auth.refreshTokenTtlSeconds)
  })

  it('the right hint finds it as well; its owner may introspect it', async () => {
    const { refresh_token } = await tokensFor(app, config)
    expect((await introspect(app, refresh_token!, { token_type_hint: 'refresh_token' })).json().token_type).toBe(
      'refresh_token',
    )
    expect((await introspect(app, refresh_token!, { token_type_hint: 'access_token' })).json().token_type).toBe(
      'refresh_token',
    )
    expect((await introspect(app, refresh_token!, {}, confidential)).json().active).toBe(true)
  })

  it('a rotated refresh token is inactive; its successor is active', async () => {
    const { refresh_token } = await tokensFor(app, config)
    const next = (await refresh(app, refresh_token!)).json()
    expect((await introspect(app, refresh_token!)).json()).toEqual({ active: false })
    expect((await introspect(app, next.refresh_token)).json().active).toBe(true)
  })
})

describe('malformed introspection requests', () => {
  it('a JSON body: 400 invalid_request (form body only)', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { 'content-type': 'application/json', authorization: RESOURCE_BASIC },
      payload: JSON.stringify({ token: access_token }),
    })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('credentials in the query: 400 invalid_request (RFC 6749 §2.3.1)', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await app.inject({
      method: 'POST',
      url: '/introspect?client_id=oauth-resource-1&client_secret=oauth-resource-secret-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: access_token }).toString(),
    })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('the token in the query: 400 invalid_request', async () => {
    const { access_token } = await tokensFor(app, config)
    const res = await app.inject({
      method: 'POST',
      url: `/introspect?token=${access_token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: RESOURCE_BASIC },
      payload: '',
    })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('a repeated token parameter: 400 invalid_request', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: RESOURCE_BASIC },
      payload: 'token=a&token=b',
    })
    expectOAuthError(res, 400, 'invalid_request')
  })
})
