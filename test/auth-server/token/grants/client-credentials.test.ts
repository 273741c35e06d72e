// POST /token with grant_type=client_credentials (RFC 6749 §4.4): a
// confidential client acting for itself. No user, so `sub` is the client
// (RFC 9068 §2.2), and no refresh token (RFC 6749 §4.4.3).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import type { LabConfig } from '../../../../src/shared/config.js'
import { basic, testAuthServer, type TestClock } from '../../../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  introspect,
  postForm,
  publicClient,
  resourceServer,
  type Caller,
} from '../../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

function clientCredentials(extra: Record<string, string> = {}, caller: Caller = confidential) {
  return postForm(app, '/token', { grant_type: 'client_credentials', ...extra }, caller)
}

describe('client_credentials for oauth-client-1', () => {
  it("over Basic: 200, no-store, the client's scopes, no refresh token (RFC 6749 §4.4.3)", async () => {
    const res = await clientCredentials()
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.pragma).toBe('no-cache')
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type'])
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' })
    expect(body.refresh_token).toBeUndefined()
  })

  it('issues an RFC 9068 JWT whose sub is the client itself', async () => {
    const token = (await clientCredentials()).json().access_token as string
    const jwks = (await app.inject({ method: 'GET', url: '/jwks' })).json()
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: config.auth.publicUrl,
      audience: config.resource.publicUrl,
      typ: 'at+jwt',
      currentDate: new Date(clock.now()),
    })
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload.sub).toBe('oauth-client-1')
    expect(payload.client_id).toBe('oauth-client-1')
    expect(payload.scope).toBe('foo bar')
    expect(typeof payload.jti).toBe('string')
  })

  it('over client_secret_post too', async () => {
    const res = await clientCredentials(
      {},
      { form: { client_id: 'oauth-client-1', client_secret: 'oauth-client-secret-1' } },
    )
    expect(res.statusCode).toBe(200)
    expect(decodeJwt(res.json().access_token).sub).toBe('oauth-client-1')
  })

  it('scope=foo narrows the token to foo', async () => {
    const res = await clientCredentials({ scope: 'foo' })
    expect(res.statusCode).toBe(200)
    expect(res.json().scope).toBe('foo')
    expect(decodeJwt(res.json().access_token).scope).toBe('foo')
  })

  it("an empty scope means the default, the client's scopes (RFC 6749 §3.3)", async () => {
    const res = await clientCredentials({ scope: '' })
    expect(res.statusCode).toBe(200)
    expect(res.json().scope).toBe('foo bar')
  })

  it('an unknown scope is invalid_scope', async () => {
    expectOAuthError(await clientCredentials({ scope: 'baz' }), 400, 'invalid_scope')
    expectOAuthError(await clientCredentials({ scope: 'foo baz' }), 400, 'invalid_scope')
  })

  it("the token introspects as the client's own, without a username", async () => {
    const token = (await clientCredentials()).json().access_token as string
    const body = (await introspect(app, token)).json()
    expect(body).toMatchObject({ active: true, sub: 'oauth-client-1', client_id: 'oauth-client-1', scope: 'foo bar' })
    expect(body.username).toBeUndefined()
  })
})

describe('clients that may not use client_credentials', () => {
  it('the public client: unauthorized_client (RFC 6749 §4.4: confidential clients only)', async () => {
    expectOAuthError(await clientCredentials({}, publicClient), 400, 'unauthorized_client')
  })

  it("the resource server's client: unauthorized_client", async () => {
    expectOAuthError(await clientCredentials({}, resourceServer), 400, 'unauthorized_client')
  })

  it('a wrong secret: 401 invalid_client with a Basic challenge', async () => {
    const res = await clientCredentials({}, { headers: { authorization: basic('oauth-client-1', 'wrong') } })
    expectOAuthError(res, 401, 'invalid_client')
    expect(res.headers['www-authenticate']).toMatch(/^Basic /)
  })

  it('no credentials at all: 401 invalid_client', async () => {
    expectOAuthError(await clientCredentials({}, {}), 401, 'invalid_client')
  })
})
