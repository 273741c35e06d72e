// CORS at the resource server: every route but /_lab/* answers the clients'
// web origins (it loads the same config as the authorization server), so a
// SPA reads the resource and the WWW-Authenticate challenge; any other
// origin gets the same answer as before with no Access-Control-* header.

import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { startJwksFixture, type JwksFixture } from '../helpers/jwks-fixture.js'

const REGISTERED = 'http://localhost:3000'

let fixture: JwksFixture
let config: LabConfig
let app: FastifyInstance

beforeAll(async () => {
  fixture = await startJwksFixture()
  config = loadConfig(
    { AUTH_INTERNAL_URL: fixture.url },
    {
      labOptions: {
        label: 'startLab options',
        options: { extraClients: [{ clientId: 'spa', redirectUris: ['http://[::1]/cb'], scopes: ['foo'] }] },
      },
    },
  )
  app = await buildResourceServer(config, { logger: false })
})

afterAll(async () => {
  await app?.close()
  await fixture?.close()
})

function accessControlHeaders(res: LightMyRequestResponse): string[] {
  return Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))
}

async function token(scope = 'foo'): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return fixture.sign({
    iss: config.auth.publicUrl,
    aud: config.resource.publicUrl,
    sub: 'alice',
    client_id: 'spa',
    scope,
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
  })
}

function preflight(url: string, origin: string) {
  return app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  })
}

function expectActualAnswer(res: LightMyRequestResponse, origin: string): void {
  expect(res.headers['access-control-allow-origin']).toBe(origin)
  expect(res.headers.vary).toBe('Origin')
  expect(res.headers['access-control-expose-headers']).toBe('WWW-Authenticate, DPoP-Nonce')
  expect(res.headers['access-control-allow-credentials']).toBeUndefined()
}

describe('a registered web origin', () => {
  it.each(['/resource', '/.well-known/oauth-protected-resource', '/healthz'])(
    'gets a preflight answer at %s',
    async (url) => {
      const res = await preflight(url, REGISTERED)
      expect(res.statusCode).toBe(204)
      expect(res.headers['access-control-allow-origin']).toBe(REGISTERED)
      expect(res.headers.vary).toBe('Origin')
      expect(res.headers['access-control-allow-methods']).toBe('GET')
      expect(res.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, DPoP')
      expect(res.headers['access-control-max-age']).toBe('600')
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    },
  )

  it('reads the resource', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/resource',
      headers: { origin: REGISTERED, authorization: `Bearer ${await token()}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ resource: 'foo', sub: 'alice' })
    expectActualAnswer(res, REGISTERED)
  })

  it.each([
    ['no token', undefined, 401],
    ['a token without scope foo', 'bar', 403],
  ])('reads the challenge with %s (RFC 6750 §3)', async (_what, scope, status) => {
    const authorization = scope === undefined ? {} : { authorization: `Bearer ${await token(scope)}` }
    const res = await app.inject({ method: 'GET', url: '/resource', headers: { origin: REGISTERED, ...authorization } })
    expect(res.statusCode).toBe(status)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="oauth-lab"/)
    expectActualAnswer(res, REGISTERED)
  })

  it('on loopback without a registered port: any port of that host', async () => {
    const origin = 'http://[::1]:5173'
    expect((await preflight('/resource', origin)).headers['access-control-allow-origin']).toBe(origin)
    expectActualAnswer(await app.inject({ method: 'GET', url: '/resource', headers: { origin } }), origin)
  })
})

describe('any other origin, or a route outside CORS', () => {
  // 127.0.0.1 is another loopback host than the registered [::1]: not allowed.
  it.each(['http://evil.test', 'null', 'http://127.0.0.1:5173'])(
    '%s gets no Access-Control-* header, and the answer as before',
    async (origin) => {
      const headers = { authorization: `Bearer ${await token()}` }
      const res = await app.inject({ method: 'GET', url: '/resource', headers: { ...headers, origin } })
      expect(res.statusCode).toBe(200)
      expect(accessControlHeaders(res)).toEqual([])
      expect(res.headers.vary).toBeUndefined()
      const pre = await preflight('/resource', origin)
      const before = await app.inject({ method: 'OPTIONS', url: '/resource' })
      expect([pre.statusCode, pre.body]).toEqual([before.statusCode, before.body])
      expect(pre.statusCode).toBe(404)
      expect(accessControlHeaders(pre)).toEqual([])
    },
  )

  it('the lab-only /_lab/exchanges, even for a registered origin', async () => {
    const headers = { origin: REGISTERED, authorization: `Bearer ${config.labKey}` }
    const res = await app.inject({ method: 'GET', url: '/_lab/exchanges', headers })
    expect(res.statusCode).toBe(200)
    expect(accessControlHeaders(res)).toEqual([])
    expect(accessControlHeaders(await preflight('/_lab/exchanges', REGISTERED))).toEqual([])
  })

  it('an unknown route, even for a registered origin', async () => {
    const res = await app.inject({ method: 'GET', url: '/nothing-here', headers: { origin: REGISTERED } })
    expect(res.statusCode).toBe(404)
    expect(accessControlHeaders(res)).toEqual([])
    expect(accessControlHeaders(await preflight('/nothing-here', REGISTERED))).toEqual([])
  })
})
