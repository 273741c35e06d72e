// CORS at the authorization server: /token, /userinfo and /revoke answer the
// clients' web origins (preflight and actual requests), nothing else does
// (RFC 9700 §2.6: not the authorization endpoint), and any other origin gets
// the same answer as before with no Access-Control-* header at all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { LabConfig } from '../../src/shared/config.js'
import { authorizeQuery, authServerWithClients } from '../helpers/auth-server.js'
import { confidential, postForm, type Caller } from '../helpers/back-channel.js'

/** The built-in clients' redirect URI is http://localhost:3000/authenticated. */
const REGISTERED = 'http://localhost:3000'
const UNREGISTERED = 'http://evil.test:3000'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  // A SPA on loopback, its redirect URI registered without a port (RFC 8252 §7.3).
  ;({ app, config } = await authServerWithClients('startLab options', [
    { clientId: 'spa', redirectUris: ['http://127.0.0.1/cb'], scopes: ['foo'] },
  ]))
})
afterAll(() => app.close())

function accessControlHeaders(res: LightMyRequestResponse): string[] {
  return Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))
}

function preflight(url: string, origin: string | undefined, method = 'POST') {
  return app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      ...(origin === undefined ? {} : { origin }),
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization, content-type',
    },
  })
}

function clientCredentials(origin: string | undefined, caller: Caller = confidential) {
  const headers = origin === undefined ? caller.headers : { ...caller.headers, origin }
  return postForm(app, '/token', { grant_type: 'client_credentials' }, { ...caller, headers: headers ?? {} })
}

function expectPreflightAnswer(res: LightMyRequestResponse, origin: string, methods: string): void {
  expect(res.statusCode).toBe(204)
  expect(res.body).toBe('')
  expect(res.headers['access-control-allow-origin']).toBe(origin)
  expect(res.headers.vary).toBe('Origin')
  expect(res.headers['access-control-allow-methods']).toBe(methods)
  expect(res.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, DPoP')
  expect(res.headers['access-control-max-age']).toBe('600')
  // No credentials mode: these endpoints never read cookies.
  expect(res.headers['access-control-allow-credentials']).toBeUndefined()
}

function expectActualAnswer(res: LightMyRequestResponse, origin: string): void {
  expect(res.headers['access-control-allow-origin']).toBe(origin)
  expect(res.headers.vary).toBe('Origin')
  expect(res.headers['access-control-expose-headers']).toBe('WWW-Authenticate, DPoP-Nonce')
  expect(res.headers['access-control-allow-credentials']).toBeUndefined()
}

describe('a registered web origin', () => {
  it.each([
    ['/token', 'POST'],
    ['/site/oauth2/access_token', 'POST'],
    ['/revoke', 'POST'],
    ['/userinfo', 'GET, POST'],
  ])('gets a preflight answer at %s naming its methods (%s)', async (url, methods) => {
    expectPreflightAnswer(await preflight(url, REGISTERED), REGISTERED, methods)
  })

  it('reads the token response', async () => {
    const res = await clientCredentials(REGISTERED)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ token_type: 'Bearer' })
    expectActualAnswer(res, REGISTERED)
  })

  it('reads the token endpoint errors too (a SPA must see invalid_client)', async () => {
    const res = await clientCredentials(REGISTERED, { headers: { authorization: 'Basic b3RoZXI6d3Jvbmc=' } })
    expect(res.statusCode).toBe(401)
    expectActualAnswer(res, REGISTERED)
  })

  it('reads the revocation response', async () => {
    const token = (await clientCredentials(undefined)).json<{ access_token: string }>().access_token
    const res = await postForm(app, '/revoke', { token }, { headers: { ...confidential.headers, origin: REGISTERED } })
    expect(res.statusCode).toBe(200)
    expectActualAnswer(res, REGISTERED)
  })

  it("reads userinfo's Bearer challenge (RFC 6750 §3)", async () => {
    const res = await app.inject({ method: 'GET', url: '/userinfo', headers: { origin: REGISTERED } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /)
    expectActualAnswer(res, REGISTERED)
  })

  it('on loopback without a registered port: any port of that host (RFC 8252 §7.3)', async () => {
    for (const origin of ['http://127.0.0.1:5173', 'http://127.0.0.1:40123']) {
      expectPreflightAnswer(await preflight('/token', origin), origin, 'POST')
      expectActualAnswer(await clientCredentials(origin), origin)
    }
    // The built-in clients' localhost origin has a port: only that one.
    expect(accessControlHeaders(await preflight('/token', 'http://localhost:5173'))).toEqual([])
  })
})

describe('any other origin', () => {
  it.each([
    ['an unregistered origin', UNREGISTERED],
    ['the opaque origin', 'null'],
  ])('%s gets no Access-Control-* header, and the answer as before', async (_what, origin) => {
    const without = await clientCredentials(undefined)
    const res = await clientCredentials(origin)
    expect(res.statusCode).toBe(200)
    expect(Object.keys(res.json<object>()).sort()).toEqual(Object.keys(without.json<object>()).sort())
    expect(accessControlHeaders(res)).toEqual([])
    expect(res.headers.vary).toBeUndefined()
  })

  it.each([UNREGISTERED, 'null'])('%s: a preflight is answered as an unknown route, as before', async (origin) => {
    const before = await app.inject({ method: 'OPTIONS', url: '/token' })
    const res = await preflight('/token', origin)
    expect(res.statusCode).toBe(404)
    expect(res.statusCode).toBe(before.statusCode)
    expect(res.headers['content-type']).toBe(before.headers['content-type'])
    expect(accessControlHeaders(res)).toEqual([])
  })

  it('an OPTIONS that is no preflight (no Access-Control-Request-Method) is not answered as one', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/token', headers: { origin: REGISTERED } })
    expect(res.statusCode).toBe(404)
    expect(accessControlHeaders(res)).toEqual([])
  })
})

describe('never CORS, even for a registered origin', () => {
  it('the authorization endpoint (RFC 9700 §2.6), preflight or not', async () => {
    const url = `/authorize?${authorizeQuery(config)}`
    const res = await app.inject({ method: 'GET', url, headers: { origin: REGISTERED } })
    expect(res.statusCode).toBe(200)
    expect(accessControlHeaders(res)).toEqual([])
    expect(accessControlHeaders(await preflight(url, REGISTERED, 'GET'))).toEqual([])
  })

  it.each([
    ['GET', '/account/grants'],
    ['POST', '/login'],
    ['POST', '/consent'],
    ['POST', '/logout'],
    ['GET', '/end-session'],
    ['POST', '/introspect'],
  ])('%s %s, preflight or not', async (method, url) => {
    const res = await app.inject({ method, url, headers: { origin: REGISTERED } })
    expect(accessControlHeaders(res)).toEqual([])
    expect(accessControlHeaders(await preflight(url, REGISTERED, method))).toEqual([])
  })

  it('the lab-only routes (/_lab/*)', async () => {
    const headers = { origin: REGISTERED, authorization: `Bearer ${config.labKey}` }
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      headers,
      payload: { sub: 'alice', client_id: 'oauth-client-1' },
    })
    expect(res.statusCode).toBe(200)
    expect(accessControlHeaders(res)).toEqual([])
    expect(accessControlHeaders(await preflight('/_lab/tokens', REGISTERED))).toEqual([])
    expect(accessControlHeaders(await preflight('/_lab/exchanges', REGISTERED, 'GET'))).toEqual([])
    const exchanges = await app.inject({ method: 'GET', url: '/_lab/exchanges', headers })
    expect(exchanges.statusCode).toBe(200)
    expect(accessControlHeaders(exchanges)).toEqual([])
  })
})
