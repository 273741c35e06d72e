// POST /_lab/tokens: a lab power behind the lab key, JSON only, and no token
// the authorization server would not issue unless the key holder asks for an
// unknown subject in so many words.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, decodeJwt, jwtVerify, errors } from 'jose'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { normaliseClient } from '../../../src/shared/builtin-data.js'
import { loadConfig, type LabConfig } from '../../../src/shared/config.js'
import { testAuthServer, testClock, type TestClock } from '../../helpers/auth-server.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

const keyed = () => ({ authorization: `Bearer ${config.labKey}` })

function mint(payload: Record<string, unknown>, headers: Record<string, string> = keyed()) {
  return app.inject({ method: 'POST', url: '/_lab/tokens', payload, headers })
}

describe('POST /_lab/tokens (lab only)', () => {
  it('mints a signed RFC 9068 token with the given subject, client, scope and lifetime', async () => {
    const res = await mint({ sub: 'alice', client_id: 'oauth-client-1', scope: 'bar', expires_in: 120 })
    expect(res.statusCode).toBe(200)
    const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/jwks' })).json())
    const { payload, protectedHeader } = await jwtVerify(res.json().access_token, jwks, {
      currentDate: new Date(clock.now()),
    })
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: 'oauth-client-1',
      scope: 'bar',
      iss: 'http://localhost:9001',
      aud: 'http://localhost:9002',
    })
    expect(payload.exp! - payload.iat!).toBe(120)
  })

  it('can mint an already expired token', async () => {
    const res = await mint({ sub: 'alice', client_id: 'oauth-client-1', expires_in: -60 })
    const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/jwks' })).json())
    await expect(
      jwtVerify(res.json().access_token, jwks, { currentDate: new Date(clock.now()) }),
    ).rejects.toBeInstanceOf(errors.JWTExpired)
  })

  it('refuses an unknown client and bad input with a JSON 400', async () => {
    const unknown = await mint({ sub: 'alice', client_id: 'nobody' })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().error).toBe('invalid_request')
    const bad = await mint({ sub: 'alice' })
    expect(bad.statusCode).toBe(400)
  })

  it('does not exist when the inspector is off', async () => {
    const { app: off, config: offConfig } = await testAuthServer({ INSPECTOR: 'off' })
    try {
      const res = await off.inject({
        method: 'POST',
        url: '/_lab/tokens',
        payload: { sub: 'alice', client_id: 'oauth-client-1' },
        headers: { authorization: `Bearer ${offConfig.labKey}` },
      })
      expect(res.statusCode).toBe(404)
    } finally {
      await off.close()
    }
  })
})

describe('the lab key comes first', () => {
  const good = { sub: 'alice', client_id: 'oauth-client-1', scope: 'foo' }

  it.each([
    ['no key', {}],
    ['a wrong key', { authorization: `Bearer ${'x'.repeat(43)}` }],
    ['the key with another scheme', { authorization: `Basic ${Buffer.from('lab:x').toString('base64')}` }],
  ])('%s: 401 with a Bearer challenge, and no token', async (_name, headers: Record<string, string>) => {
    const res = await mint(good, headers)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="oauth-lab"')
    expect(res.json()).toMatchObject({ error: 'lab_key_required' })
    expect(res.body).not.toContain('access_token')
  })

  it('the key in the query string of a POST opens nothing', async () => {
    const res = await app.inject({ method: 'POST', url: `/_lab/tokens?lab_key=${config.labKey}`, payload: good })
    expect(res.statusCode).toBe(401)
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it.each([
    ['an unknown client', { sub: 'alice', client_id: 'nobody' }],
    ['an unknown user', { sub: 'mallory', client_id: 'oauth-client-1' }],
    ['a scope out of bounds', { sub: 'alice', client_id: 'oauth-client-1', scope: 'admin' }],
    ['a body that fails the schema', { sub: 'alice' }],
  ])('without the key, %s is 401 too: nothing tells whether a client or user exists', async (_name, payload) => {
    const res = await mint(payload, {})
    expect(res.statusCode).toBe(401)
    expect(res.json().error).toBe('lab_key_required')
  })

  it('a form body without the key is 401, not 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      payload: 'sub=alice&client_id=oauth-client-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.statusCode).toBe(401)
  })
})

describe('minting, with the key', () => {
  it.each([
    ['a form body', 'application/x-www-form-urlencoded', 'sub=alice&client_id=oauth-client-1'],
    ['plain text', 'text/plain', '{"sub":"alice","client_id":"oauth-client-1"}'],
  ])('refuses %s with 415: JSON only, which no cross-site page sends without a preflight', async (_n, type, body) => {
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      payload: body,
      headers: { ...keyed(), 'content-type': type },
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().error).toBe('invalid_request')
    expect(res.body).not.toContain('access_token')
  })

  it('refuses a subject no user has, unless allow_unknown_sub says so', async () => {
    const refused = await mint({ sub: 'mallory', client_id: 'oauth-client-1' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error).toBe('invalid_request')
    expect(refused.json().error_description).toMatch(/allow_unknown_sub/)
    const allowed = await mint({ sub: 'mallory', client_id: 'oauth-client-1', allow_unknown_sub: true })
    expect(allowed.statusCode).toBe(200)
    expect(decodeJwt(allowed.json().access_token).sub).toBe('mallory')
    // false is no permission.
    expect((await mint({ sub: 'mallory', client_id: 'oauth-client-1', allow_unknown_sub: false })).statusCode).toBe(400)
    // Every configured user is known (bob's sub is his username by default).
    expect((await mint({ sub: 'bob', client_id: 'oauth-client-1' })).statusCode).toBe(200)
  })

  it.each(['foo admin superuser', 'admin', 'foo bar baz'])(
    'refuses scope "%s" with 400 invalid_scope: the client registered foo and bar only',
    async (scope) => {
      const res = await mint({ sub: 'alice', client_id: 'oauth-client-1', scope })
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('invalid_scope')
      expect(res.body).not.toContain('access_token')
    },
  )

  it('grants the OpenID Connect scopes to a client that may use the authorization code grant, as /authorize does', async () => {
    for (const clientId of ['oauth-client-1', 'oauth-client-public']) {
      const res = await mint({ sub: 'alice', client_id: clientId, scope: 'openid profile email foo bar' })
      expect(res.statusCode, clientId).toBe(200)
      expect(decodeJwt(res.json().access_token).scope).toBe('openid profile email foo bar')
    }
  })

  it('the introspection-only client can be given no scope at all', async () => {
    const res = await mint({ sub: 'alice', client_id: 'oauth-resource-1', scope: 'foo' })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('invalid_scope')
    const oidc = await mint({ sub: 'alice', client_id: 'oauth-resource-1', scope: 'openid' })
    expect(oidc.json().error).toBe('invalid_scope')
  })
})

describe('a client_credentials-only client', () => {
  // No authorization code grant, so the token endpoint never grants it openid.
  let service: FastifyInstance
  let serviceConfig: LabConfig
  beforeAll(async () => {
    const loaded = loadConfig({ LOG_LEVEL: 'silent' })
    const client = normaliseClient({
      clientId: 'my-service',
      clientSecret: 'my-service-secret',
      scopes: ['foo'],
      grantTypes: ['client_credentials'],
    })
    serviceConfig = { ...loaded, clients: [...loaded.clients, client] }
    service = await buildAuthServer(serviceConfig, { now: testClock().now, logger: false })
  })
  afterAll(() => service.close())

  it('gets its registered scopes only: openid is invalid_scope', async () => {
    const post = (scope: string) =>
      service.inject({
        method: 'POST',
        url: '/_lab/tokens',
        payload: { sub: 'alice', client_id: 'my-service', scope },
        headers: { authorization: `Bearer ${serviceConfig.labKey}` },
      })
    expect((await post('foo')).statusCode).toBe(200)
    for (const scope of ['openid', 'foo openid', 'bar'])
      expect((await post(scope)).json().error, scope).toBe('invalid_scope')
  })
})

describe('POST /_lab/tokens with resource (RFC 8707)', () => {
  it('mints for a registered resource server; by default the built-in one', async () => {
    const mcp = `${config.resource.publicUrl}/mcp`
    const chosen = await mint({ sub: 'alice', client_id: 'oauth-client-1', resource: mcp })
    expect(chosen.statusCode).toBe(200)
    expect(decodeJwt(chosen.json().access_token).aud).toBe(mcp)
    const plain = await mint({ sub: 'alice', client_id: 'oauth-client-1' })
    expect(decodeJwt(plain.json().access_token).aud).toBe(config.resource.publicUrl)
  })

  it('refuses an unregistered resource with invalid_target', async () => {
    for (const resource of ['http://localhost:9999/api', 'not-a-uri', 'http://localhost:9002/mcp#frag']) {
      const res = await mint({ sub: 'alice', client_id: 'oauth-client-1', resource })
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('invalid_target')
      expect(res.json().access_token).toBeUndefined()
    }
  })
})
