// RFC 8414 metadata and the JWKS.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { testAuthServer } from '../helpers/auth-server.js'

let app: FastifyInstance

beforeAll(async () => {
  ;({ app } = await testAuthServer({
    AUTH_PUBLIC_URL: 'http://auth.lab.test:9001',
    RESOURCE_PUBLIC_URL: 'http://rs.lab.test',
  }))
})
afterAll(() => app.close())

describe('GET /.well-known/oauth-authorization-server', () => {
  it('describes the server from its public URL', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/.well-known/oauth-authorization-server',
      headers: { host: 'evil.example' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const meta = res.json()
    expect(meta).toMatchObject({
      issuer: 'http://auth.lab.test:9001',
      authorization_endpoint: 'http://auth.lab.test:9001/authorize',
      token_endpoint: 'http://auth.lab.test:9001/token',
      jwks_uri: 'http://auth.lab.test:9001/jwks',
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['foo', 'bar', 'openid', 'profile', 'email', 'offline_access'],
      authorization_response_iss_parameter_supported: true,
    })
    expect(meta.grant_types_supported).toContain('authorization_code')
    expect(meta.grant_types_supported).not.toContain('implicit')
    expect(meta.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    )
  })
})

describe('GET /jwks', () => {
  it("publishes one public key per algorithm: the access tokens' ES256 first, then RS256 and EdDSA for ID tokens", async () => {
    const res = await app.inject({ method: 'GET', url: '/jwks' })
    expect(res.statusCode).toBe(200)
    const { keys } = res.json<{ keys: Array<Record<string, unknown>> }>()
    expect(keys).toHaveLength(3)
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(keys[1]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    expect(keys[2]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(new Set(keys.map((k) => k.kid)).size).toBe(3)
    for (const key of keys) {
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
      // No private part of any key type (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
      for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[name]).toBeUndefined()
    }
  })
})

describe('GET /healthz', () => {
  it('answers ok', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })
})
