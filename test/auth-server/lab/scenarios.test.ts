// One-shot scenarios (src/auth-server/lab/scenarios.ts): each has exactly its
// effect, for exactly as many requests as armed; the admin route
// /_lab/scenarios exists only with LAB_ADMIN=on.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { labPowersOf } from '../../../src/auth-server/lab/register-lab.js'
import type { ScenarioState } from '../../../src/auth-server/lab/scenarios.js'
import type { LabConfig } from '../../../src/shared/config.js'
import { obtainCode, testAuthServer, type TestClock } from '../../helpers/auth-server.js'
import { confidential, expectOAuthError, introspect, postForm, tokensFor } from '../../helpers/back-channel.js'
import { injectBrowser } from '../../helpers/inject-browser.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock
let scenarios: ScenarioState

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer({ LAB_ADMIN: 'on' }))
  scenarios = labPowersOf(app).scenarios
})
afterAll(() => app.close())
afterEach(() => scenarios.clear())

const clientCredentials = (caller = confidential) =>
  postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, caller)

function adminPost(body: unknown) {
  return app.inject({
    method: 'POST',
    url: '/_lab/scenarios',
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...keyed() },
  })
}

/** The lab key: the scenarios are a lab power. */
const keyed = () => ({ authorization: `Bearer ${config.labKey}` })

describe('failTokenRequests', () => {
  it('the next N token requests answer invalid_grant, then requests succeed again', async () => {
    scenarios.failTokenRequests({ count: 2 })
    for (let i = 0; i < 2; i++) {
      const res = await clientCredentials()
      expectOAuthError(res, 400, 'invalid_grant')
      expect(res.json().error_description).toMatch(/fail-token-requests/)
    }
    expect((await clientCredentials()).statusCode).toBe(200)
  })

  it('answers the chosen error and description, whatever the request carries', async () => {
    scenarios.failTokenRequests({ error: 'temporarily_unavailable', description: 'down for maintenance' })
    // Wrong credentials would give invalid_client: the scenario answers first.
    const res = await clientCredentials({ headers: { authorization: 'Basic b2F1dGgtY2xpZW50LTE6d3Jvbmc=' } })
    expectOAuthError(res, 503, 'temporarily_unavailable')
    expect(res.json().error_description).toBe('down for maintenance')
    expect((await clientCredentials()).statusCode).toBe(200)
  })

  it('refuses a count out of range or an unknown error', () => {
    expect(() => scenarios.failTokenRequests({ count: 0 })).toThrow(RangeError)
    expect(() => scenarios.failTokenRequests({ error: 'nope' as never })).toThrow(RangeError)
    expect(scenarios.armed().failTokenRequests).toBeNull()
  })
})

describe('denyNextAuthorization', () => {
  it('the next authorization redirects with access_denied after sign-in and consent, the one after gets a code', async () => {
    scenarios.denyNextAuthorization()
    const browser = injectBrowser(app)
    const denied = await obtainCode(app, config, { browser })
    expect(denied.res.statusCode).toBe(303)
    expect(Object.fromEntries(denied.params)).toMatchObject({
      error: 'access_denied',
      state: 'state-123',
      iss: config.auth.publicUrl,
    })
    expect(denied.params.get('code')).toBeNull()
    expect(scenarios.armed().denyNextAuthorization).toBe(false)
    // Remembered consent: straight back with a code (302) this time.
    const allowed = await obtainCode(app, config, { browser })
    expect(allowed.res.statusCode).toBe(302)
    expect(allowed.params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('applies to a remembered decision too (no consent page)', async () => {
    const browser = injectBrowser(app)
    await obtainCode(app, config, { browser })
    scenarios.denyNextAuthorization()
    const { res, params } = await obtainCode(app, config, { browser })
    expect(res.statusCode).toBe(302)
    expect(params.get('error')).toBe('access_denied')
  })
})

describe('delayTokenEndpoint', () => {
  async function timed() {
    const start = performance.now()
    const res = await clientCredentials()
    return { res, ms: performance.now() - start }
  }

  it('slows exactly the next `count` token requests by `ms` of real time', async () => {
    scenarios.delayTokenEndpoint({ ms: 300, count: 2 })
    for (let i = 0; i < 2; i++) {
      const { res, ms } = await timed()
      expect(res.statusCode).toBe(200)
      expect(ms).toBeGreaterThanOrEqual(290)
    }
    expect((await timed()).ms).toBeLessThan(250)
  })

  it('is bounded to 30 s', () => {
    expect(() => scenarios.delayTokenEndpoint({ ms: 30_001 })).toThrow(RangeError)
    expect(() => scenarios.delayTokenEndpoint({ ms: 10, count: 0 })).toThrow(RangeError)
  })
})

describe('rotateKeys', () => {
  const jwks = async () => (await app.inject({ method: 'GET', url: '/jwks' })).json<{ keys: Array<{ kid: string }> }>()
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await jwks()), { typ: 'at+jwt', currentDate: new Date(clock.now()) })

  it('signs new tokens with a new kid and keeps each replaced key published while tokens it signed can be live', async () => {
    const before = (await tokensFor(app, config)).access_token
    const oldKid = decodeProtectedHeader(before).kid
    // One key per algorithm: the access tokens' ES256, then RS256 and EdDSA for ID tokens.
    const oldKids = (await jwks()).keys.map((k) => k.kid).slice(0, 3)
    expect(oldKids[0]).toBe(oldKid)
    const { kid } = await scenarios.rotateKeys()
    expect(kid).not.toBe(oldKid)
    const after = (await tokensFor(app, config, { scope: 'foo openid' })) as { access_token: string; id_token?: string }
    expect(decodeProtectedHeader(after.access_token).kid).toBe(kid)
    // Every key was rotated, and each previous one stays published after the new ones.
    const newKids = (await jwks()).keys.map((k) => k.kid).slice(0, 3)
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([...newKids, ...oldKids])
    expect(newKids[0]).toBe(kid)
    for (const newKid of newKids) expect(oldKids).not.toContain(newKid)
    // The ID token (RS256 by default) carries the new RS256 kid.
    expect(decodeProtectedHeader(after.id_token!)).toMatchObject({ alg: 'RS256', kid: newKids[1] })
    // Both verify against /jwks, and the server itself still knows both.
    await verify(before)
    await verify(after.access_token)
    expect((await introspect(app, before)).json().active).toBe(true)
    expect((await introspect(app, after.access_token)).json().active).toBe(true)

    const third = await scenarios.rotateKeys()
    const thirdKids = (await jwks()).keys.map((k) => k.kid).slice(0, 3)
    expect(thirdKids[0]).toBe(third.kid)
    // The first keys are retired, not gone: `before` is live for an access token lifetime.
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([...thirdKids, ...newKids, ...oldKids])
    await verify(before)
    expect((await introspect(app, before)).json().active).toBe(true)
    // Once every token they signed has expired, they go.
    clock.advance(config.auth.accessTokenTtlSeconds * 1000 + 1000)
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([...thirdKids, ...newKids])
    await expect(verify(before)).rejects.toThrow()
    expect((await introspect(app, before)).json().active).toBe(false)
  })
})

describe('clear', () => {
  it('disarms every scenario', async () => {
    scenarios.failTokenRequests({ count: 3 })
    scenarios.denyNextAuthorization()
    scenarios.delayTokenEndpoint({ ms: 5000 })
    scenarios.clear()
    expect(scenarios.armed()).toMatchObject({
      failTokenRequests: null,
      denyNextAuthorization: false,
      delayTokenEndpoint: null,
    })
    const start = performance.now()
    expect((await clientCredentials()).statusCode).toBe(200)
    expect(performance.now() - start).toBeLessThan(1000)
  })
})

describe('POST /_lab/scenarios (LAB_ADMIN=on)', () => {
  it('arms each scenario and GET lists what is armed', async () => {
    expect((await adminPost({ type: 'fail-token-requests', count: 2, error: 'invalid_grant' })).statusCode).toBe(200)
    expect((await adminPost({ type: 'deny-next-authorization' })).statusCode).toBe(200)
    const res = await adminPost({ type: 'delay-token-endpoint', ms: 2000, count: 1 })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const armed = (await app.inject({ method: 'GET', url: '/_lab/scenarios', headers: keyed() })).json()
    expect(armed).toEqual({
      failTokenRequests: { remaining: 2, error: 'invalid_grant' },
      denyNextAuthorization: true,
      delayTokenEndpoint: { remaining: 1, ms: 2000 },
      keys: app.oauthLab.keys.publishedKids(),
    })
    expect((await adminPost({ type: 'clear' })).json()).toMatchObject({
      failTokenRequests: null,
      denyNextAuthorization: false,
      delayTokenEndpoint: null,
    })
  })

  it("rotate-keys answers the new current kids first (the access tokens' first), then the previous ones", async () => {
    await app.inject({ method: 'GET', url: '/jwks' }) // every algorithm's key exists from here on
    const published = app.oauthLab.keys.publishedKids()
    const before = published.slice(0, 3)
    const { keys } = (await adminPost({ type: 'rotate-keys' })).json<{ keys: string[] }>()
    expect(keys[0]).toBe(app.oauthLab.keys.kid)
    expect(keys.slice(3, 6)).toEqual(before)
    // Then the keys retired by earlier rotations whose tokens may still be live.
    for (const kid of keys.slice(6)) expect(published).toContain(kid)
    for (const kid of keys.slice(0, 3)) expect(before).not.toContain(kid)
  })

  it('fail-token-requests over HTTP takes effect on /token', async () => {
    await adminPost({ type: 'fail-token-requests', error: 'invalid_client' })
    const failed = await clientCredentials()
    expectOAuthError(failed, 401, 'invalid_client')
    // RFC 6749 §5.2: the client tried HTTP Basic, so the challenge comes too.
    expect(failed.headers['www-authenticate']).toMatch(/^Basic realm=/)
    expect((await clientCredentials()).statusCode).toBe(200)
  })

  it.each([
    ['no type', {}],
    ['an unknown type', { type: 'explode' }],
    ['count 0', { type: 'fail-token-requests', count: 0 }],
    ['a count that is not a number', { type: 'fail-token-requests', count: 'many' }],
    ['an error that is not a token error', { type: 'fail-token-requests', error: 'access_denied' }],
    ['a description with a quote', { type: 'fail-token-requests', description: 'say "no"' }],
    ['a delay over 30 s', { type: 'delay-token-endpoint', ms: 30_001 }],
    ['a delay without ms', { type: 'delay-token-endpoint' }],
    ['a field the type does not take', { type: 'rotate-keys', count: 2 }],
    ['an array', [{ type: 'clear' }]],
  ])('answers 400 invalid_request for %s, and arms nothing', async (_name, body) => {
    const res = await adminPost(body)
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('invalid_request')
    expect(scenarios.armed()).toMatchObject({
      failTokenRequests: null,
      denyNextAuthorization: false,
      delayTokenEndpoint: null,
    })
  })

  it('takes JSON only: a form post is 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/scenarios',
      payload: 'type=clear',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...keyed() },
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().error).toBe('invalid_request')
  })

  it('needs the lab key, checked before the body: 401 and nothing armed or revealed', async () => {
    scenarios.failTokenRequests({ count: 3, description: 'armed by the teacher' })
    const wrong = { authorization: `Bearer ${'x'.repeat(43)}` }
    const attempts = [
      app.inject({ method: 'GET', url: '/_lab/scenarios' }),
      app.inject({ method: 'GET', url: '/_lab/scenarios', headers: wrong }),
      app.inject({ method: 'POST', url: '/_lab/scenarios', payload: { type: 'clear' } }),
      app.inject({ method: 'POST', url: '/_lab/scenarios', payload: { type: 'clear' }, headers: wrong }),
      app.inject({ method: 'POST', url: `/_lab/scenarios?lab_key=${config.labKey}`, payload: { type: 'clear' } }),
      app.inject({ method: 'POST', url: '/_lab/scenarios', payload: { type: 'explode' } }),
      app.inject({
        method: 'POST',
        url: '/_lab/scenarios',
        payload: 'type=clear',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ]
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(401)
      expect(res.json().error).toBe('lab_key_required')
      expect(res.body).not.toContain('armed by the teacher')
    }
    expect(scenarios.armed().failTokenRequests).toMatchObject({ remaining: 3 })
  })
})

describe('without LAB_ADMIN (the default)', () => {
  it('there is no /_lab/scenarios: 404', async () => {
    const { app: plain } = await testAuthServer()
    try {
      expect((await plain.inject({ method: 'GET', url: '/_lab/scenarios' })).statusCode).toBe(404)
      const res = await plain.inject({
        method: 'POST',
        url: '/_lab/scenarios',
        payload: '{"type":"clear"}',
        headers: { 'content-type': 'application/json' },
      })
      expect(res.statusCode).toBe(404)
    } finally {
      await plain.close()
    }
  })
})

describe('LAB_ADMIN', () => {
  it('is off by default, on with LAB_ADMIN=on, and refuses other values', async () => {
    const { loadConfig, ConfigError } = await import('../../../src/shared/config.js')
    expect(loadConfig({}).auth.labAdmin).toBe(false)
    expect(loadConfig({ LAB_ADMIN: 'on' }).auth.labAdmin).toBe(true)
    expect(() => loadConfig({ LAB_ADMIN: 'yes' })).toThrow(ConfigError)
  })
})
