// Pushed authorization requests (RFC 9126) over inject(): POST /par, then
// /authorize with the request_uri, and the per-client requirement.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../../src/shared/config.js'
import {
  authServerWithClients,
  authorizeQuery,
  obtainCode,
  pkcePair,
  testAuthServer,
  type TestClock,
} from '../../helpers/auth-server.js'
import { CLIENT_BASIC, PUBLIC_CLIENT, expectOAuthError, postForm } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser, locationParams } from '../../helpers/inject-browser.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

const confidential = { headers: { authorization: CLIENT_BASIC } }

function authorizeParams(overrides: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(authorizeQuery(config, overrides)))
}

async function push(form: Record<string, string> = {}, target = app) {
  const res = await postForm(target, '/par', authorizeParams(form), confidential)
  expect(res.statusCode).toBe(201)
  return res.json<{ request_uri: string; expires_in: number }>()
}

function authorizeWith(requestUri: string, extra: Record<string, string> = {}) {
  const query = new URLSearchParams({ client_id: 'oauth-client-1', request_uri: requestUri, ...extra })
  return `/authorize?${query.toString()}`
}

describe('POST /par (RFC 9126 §2)', () => {
  it('answers 201 with a one-time request_uri and expires_in 60, not cached', async () => {
    const res = await postForm(app, '/par', authorizeParams(), confidential)
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json<{ request_uri: string; expires_in: number }>()
    expect(Object.keys(body).sort()).toEqual(['expires_in', 'request_uri'])
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/)
    expect(body.expires_in).toBe(60)
  })

  it('authenticates the client as the token endpoint does; a public client sends client_id', async () => {
    const wrong = await postForm(app, '/par', authorizeParams(), {
      headers: { authorization: `Basic ${Buffer.from('oauth-client-1:wrong').toString('base64')}` },
    })
    expectOAuthError(wrong, 401, 'invalid_client')
    // RFC 6749 §5.2: Basic was tried, so the 401 names the scheme.
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /)
    expectOAuthError(await postForm(app, '/par', authorizeParams()), 401, 'invalid_client')
    const pkce = pkcePair()
    const pub = await postForm(
      app,
      '/par',
      authorizeParams({ client_id: PUBLIC_CLIENT, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    )
    expect(pub.statusCode).toBe(201)
  })

  it('validates the parameters as /authorize does, every error as JSON 400 (RFC 9126 §2.3)', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ redirect_uri: 'http://evil.example/cb' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'foo admin' }, 'invalid_scope'],
      [{ code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) }, 'invalid_request'],
      [{ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'invalid_request'],
    ]
    for (const [form, error] of cases)
      expectOAuthError(await postForm(app, '/par', authorizeParams(form), confidential), 400, error)
    // A public client without PKCE, as at /authorize (RFC 9700 §2.1.1).
    expectOAuthError(await postForm(app, '/par', authorizeParams({ client_id: PUBLIC_CLIENT })), 400, 'invalid_request')
    // client_id in the body must be the authenticated one.
    expectOAuthError(
      await postForm(app, '/par', authorizeParams({ client_id: PUBLIC_CLIENT }), confidential),
      400,
      'invalid_request',
    )
  })
})

describe('/authorize with a request_uri (RFC 9126 §4)', () => {
  it('uses the pushed parameters, ignores the others in the URL, and gives a code after sign-in and consent', async () => {
    const { request_uri } = await push({ state: 'pushed-state', scope: 'foo' })
    const browser = injectBrowser(app)
    // A state and a scope in the URL are ignored: the pushed ones count.
    let res = await browser.get(authorizeWith(request_uri, { state: 'front-state', scope: 'foo bar' }))
    expect(res.statusCode).toBe(200)
    res = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(res.statusCode).toBe(303)
    const resume = res.headers.location as string
    // The resumed request carries a new request_uri, never the parameters.
    expect(resume).toMatch(/^\/authorize\?client_id=oauth-client-1&request_uri=urn/)
    expect(resume).not.toContain(request_uri.split(':').pop())
    res = await browser.get(resume)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('<code>foo</code>')
    expect(res.body).not.toContain('<code>bar</code>')
    res = await browser.postForm('/consent', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
    })
    const params = locationParams(res)
    expect(params.get('state')).toBe('pushed-state')
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('refuses a replayed, unknown, expired or foreign request_uri with an HTML page, never a redirect', async () => {
    const { request_uri } = await push()
    const first = await obtainCode(app, config, { query: { client_id: 'oauth-client-1', request_uri } })
    expect(first.params.get('code')).toBeTruthy()
    const expectPage = async (url: string, text: string) => {
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(400)
      expect(res.headers.location).toBeUndefined()
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.body).toContain(text)
    }
    await expectPage(authorizeWith(request_uri), 'already used')
    await expectPage(authorizeWith('urn:ietf:params:oauth:request_uri:nope'), 'unknown')
    const foreign = await push()
    await expectPage(
      `/authorize?${new URLSearchParams({ client_id: PUBLIC_CLIENT, request_uri: foreign.request_uri }).toString()}`,
      'another client',
    )
    // The foreign attempt did not burn it: its own client can still use it.
    expect((await app.inject({ method: 'GET', url: authorizeWith(foreign.request_uri) })).statusCode).toBe(200)
    const late = await push()
    clock.advance(61_000)
    await expectPage(authorizeWith(late.request_uri), 'expired')
    await expectPage(`/authorize?request_uri=${encodeURIComponent(late.request_uri)}`, 'needs client_id')
  })
})

describe('requirePushedAuthorizationRequests (RFC 9126 §6)', () => {
  it('is false server-wide in the metadata, which names the endpoint', async () => {
    const meta = (await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<
      Record<string, unknown>
    >()
    expect(meta.pushed_authorization_request_endpoint).toBe(`${config.auth.publicUrl}/par`)
    expect(meta.require_pushed_authorization_requests).toBe(false)
    expect(meta.device_authorization_endpoint).toBe(`${config.auth.publicUrl}/device_authorization`)
    expect(meta.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code')
  })

  it('refuses a front-channel request of a client that must push, and accepts its pushed one', async () => {
    const { app: strict, config: strictConfig } = await authServerWithClients('par test', [
      {
        clientId: 'par-only',
        clientSecret: 'par-only-secret',
        redirectUris: ['http://localhost:3000/par-cb'],
        scopes: ['foo'],
        requirePushedAuthorizationRequests: true,
      },
    ])
    try {
      const params = { client_id: 'par-only', redirect_uri: 'http://localhost:3000/par-cb', scope: 'foo' }
      const front = await strict.inject({ method: 'GET', url: `/authorize?${authorizeQuery(strictConfig, params)}` })
      expect(front.statusCode).toBe(302)
      expect(locationParams(front).get('error')).toBe('invalid_request')
      const pushed = await postForm(
        strict,
        '/par',
        Object.fromEntries(new URLSearchParams(authorizeQuery(strictConfig, params))),
        {
          headers: { authorization: `Basic ${Buffer.from('par-only:par-only-secret').toString('base64')}` },
        },
      )
      expect(pushed.statusCode).toBe(201)
      const url = `/authorize?${new URLSearchParams({ client_id: 'par-only', request_uri: pushed.json<{ request_uri: string }>().request_uri }).toString()}`
      const res = await strict.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('name="password"')
    } finally {
      await strict.close()
    }
  })
})
