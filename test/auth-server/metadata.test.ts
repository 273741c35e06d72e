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
      scopes_supported: ['foo', 'bar', 'openid', 'profile', 'email'],
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
  it('publishes the public ES256 key only', async () => {
    const res = await app.inject({ method: 'GET', url: '/jwks' })
    expect(res.statusCode).toBe(200)
    const { keys } = res.json()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(keys[0].kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(keys[0].d).toBeUndefined()
  })
})

describe('GET /healthz', () => {
  it('answers ok', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })
})
