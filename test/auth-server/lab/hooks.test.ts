// In-process hooks: beforeTokenSigning / beforeIdTokenSigning change claims
// before signing; beforeResponse changes what /token, /introspect, /revoke and
// /userinfo send. The hooks object is read at each request.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { first } from '../../helpers/lists.js'
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import type { AuthServerHooks, HookedRoute, TokenSigningContext } from '../../../src/index.js'
import { loadConfig, type LabConfig } from '../../../src/shared/config.js'
import { labPowersOf } from '../../../src/auth-server/lab/register-lab.js'
import { testClock, type TestClock } from '../../helpers/auth-server.js'
import { confidential, expectOAuthError, introspect, postForm, revoke, tokensFor } from '../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock
let hooks: AuthServerHooks

beforeAll(async () => {
  config = loadConfig({ LOG_LEVEL: 'silent' })
  clock = testClock(Date.now())
  hooks = {}
  // Hooks given: the server runs as the in-process lab and reads this very object at each request.
  app = await buildAuthServer(config, { now: clock.now, logger: false, hooks })
})
afterAll(() => app.close())
afterEach(() => {
  delete hooks.beforeTokenSigning
  delete hooks.beforeIdTokenSigning
  delete hooks.beforeResponse
})

const clientCredentials = () =>
  postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)

async function verified(token: string, typ = 'at+jwt') {
  const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/jwks' })).json())
  return (await jwtVerify(token, jwks, { typ, issuer: config.auth.publicUrl, currentDate: new Date(clock.now()) }))
    .payload
}

describe('beforeTokenSigning', () => {
  it('adds and changes claims of the access token, which still verifies against /jwks', async () => {
    const seen: Array<{ claims: Record<string, unknown>; context: TokenSigningContext }> = []
    hooks.beforeTokenSigning = (claims, context) => {
      seen.push({ claims: { ...claims }, context })
      return { ...claims, roles: ['admin'], scope: 'foo' }
    }
    const { access_token } = await tokensFor(app, config)
    const payload = await verified(access_token)
    expect(payload).toMatchObject({
      roles: ['admin'],
      scope: 'foo',
      sub: 'alice',
      client_id: 'oauth-client-1',
      aud: config.resource.publicUrl,
    })
    expect(seen).toHaveLength(1)
    expect(first(seen).context).toEqual({ grantType: 'authorization_code', clientId: 'oauth-client-1' })
    expect(first(seen).claims).toMatchObject({
      iss: config.auth.publicUrl,
      sub: 'alice',
      scope: 'foo bar',
      jti: payload.jti,
    })
  })

  it('may be async and may change the claims in place; it sees each grant type', async () => {
    const grants: string[] = []
    hooks.beforeTokenSigning = async (claims, { grantType }) => {
      grants.push(grantType)
      claims.tenant = 'acme'
    }
    const { refresh_token } = await tokensFor(app, config)
    const refreshed = await postForm(
      app,
      '/token',
      { grant_type: 'refresh_token', refresh_token: refresh_token! },
      confidential,
    )
    const cc = await clientCredentials()
    expect(grants).toEqual(['authorization_code', 'refresh_token', 'client_credentials'])
    for (const res of [refreshed, cc]) expect((await verified(res.json().access_token)).tenant).toBe('acme')
  })

  it('cannot change jti, so revocation still finds the token', async () => {
    hooks.beforeTokenSigning = (claims) => ({ ...claims, jti: 'chosen-by-the-hook' })
    const { access_token } = await tokensFor(app, config)
    expect(decodeJwt(access_token).jti).not.toBe('chosen-by-the-hook')
    expect((await revoke(app, access_token)).statusCode).toBe(200)
    expect((await introspect(app, access_token)).json().active).toBe(false)
  })

  it('leaves ID tokens alone; beforeIdTokenSigning changes those', async () => {
    hooks.beforeTokenSigning = (claims) => ({ ...claims, in_access_token: true })
    hooks.beforeIdTokenSigning = (claims, context) => ({ ...claims, acr: 'urn:lab:mfa', hook_client: context.clientId })
    const tokens = (await tokensFor(app, config, { scope: 'openid foo' })) as {
      access_token: string
      id_token?: string
    }
    const idToken = await verified(tokens.id_token!, 'JWT')
    expect(idToken).toMatchObject({
      acr: 'urn:lab:mfa',
      hook_client: 'oauth-client-1',
      sub: 'alice',
      aud: 'oauth-client-1',
    })
    expect(idToken.in_access_token).toBeUndefined()
    const accessToken = await verified(tokens.access_token)
    expect(accessToken.in_access_token).toBe(true)
    expect(accessToken.acr).toBeUndefined()
  })

  it('are the object given to buildAuthServer, also at app.labPowers', () => {
    expect(labPowersOf(app).hooks).toBe(hooks)
  })

  it('can be passed to buildAuthServer as deps.hooks', async () => {
    const own = await buildAuthServer(loadConfig({ LOG_LEVEL: 'silent' }), {
      logger: false,
      hooks: { beforeTokenSigning: (claims) => ({ ...claims, from_deps: 1 }) },
    })
    try {
      const res = await postForm(own, '/token', { grant_type: 'client_credentials' }, confidential)
      expect(decodeJwt(res.json().access_token).from_deps).toBe(1)
    } finally {
      await own.close()
    }
  })
})

describe('beforeResponse', () => {
  it('changes the token response: body, header and status', async () => {
    hooks.beforeResponse = (response, { route, request }) => {
      if (route !== 'token') return
      expect(request.method).toBe('POST')
      expect(response.status).toBe(200)
      expect(response.headers['cache-control']).toBe('no-store')
      return {
        ...response,
        status: 201,
        headers: { ...response.headers, 'x-lab': 'hooked' },
        body: { ...(response.body as object), extra: 'field' },
      }
    }
    const res = await clientCredentials()
    expect(res.statusCode).toBe(201)
    expect(res.headers['x-lab']).toBe('hooked')
    expect(res.json()).toMatchObject({ token_type: 'Bearer', extra: 'field' })
    expect(res.headers['content-type']).toMatch(/^application\/json/)
  })

  it('leaves a CORS preflight alone: it is the browser asking, not the endpoint answering', async () => {
    let calls = 0
    hooks.beforeResponse = (response) => {
      calls++
      return { ...response, status: 500 }
    }
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/token',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000')
    expect(calls).toBe(0)
    expect((await clientCredentials()).statusCode).toBe(500)
    expect(calls).toBe(1)
  })

  it('sees error responses too, and can remove headers', async () => {
    hooks.beforeResponse = (response) => {
      delete response.headers.pragma
      ;(response.body as Record<string, unknown>).error_uri = 'https://lab.test/errors'
    }
    const res = await postForm(app, '/token', { grant_type: 'password' }, confidential)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'unsupported_grant_type', error_uri: 'https://lab.test/errors' })
    expect(res.headers.pragma).toBeUndefined()
  })

  it('runs for introspect, revoke and userinfo, naming the route', async () => {
    const { access_token } = await tokensFor(app, config, { scope: 'openid foo' })
    const routes: HookedRoute[] = []
    hooks.beforeResponse = (response, { route }) => {
      routes.push(route)
      if (route === 'introspect') return { ...response, body: { active: false } }
      if (route === 'userinfo') return { ...response, body: { ...(response.body as object), groups: ['teachers'] } }
      if (route === 'revoke') expect(response.body).toBeUndefined()
      return undefined
    }
    expect((await introspect(app, access_token)).json()).toEqual({ active: false })
    const userinfo = await app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${access_token}` },
    })
    expect(userinfo.json()).toEqual({ sub: 'alice', groups: ['teachers'] })
    expect((await revoke(app, access_token)).statusCode).toBe(200)
    expect(routes).toEqual(['introspect', 'userinfo', 'revoke'])
  })

  it('does not touch other routes', async () => {
    let called = false
    hooks.beforeResponse = () => void (called = true)
    await app.inject({ method: 'GET', url: '/jwks' })
    await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    expect(called).toBe(false)
    expectOAuthError(await postForm(app, '/token', {}, confidential), 400, 'invalid_request')
    expect(called).toBe(true)
  })
})
