import { randomUUID } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { SignJWT, base64url } from 'jose'
import type { JWTPayload } from 'jose'
import { loadConfig } from '../../src/shared/config.js'
import type { LabConfig } from '../../src/shared/config.js'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { bearerChallenge, invalidToken } from '../../src/shared/bearer-errors.js'
import type { ResourceServerDeps } from '../../src/resource-server/app.js'
import { otherKey, startJwksFixture } from '../helpers/jwks-fixture.js'
import type { JwksFixture } from '../helpers/jwks-fixture.js'
import { first } from '../helpers/lists.js'

const REALM_ONLY = 'Bearer realm="oauth-lab"'

function challenge(error: string, description: string, scope?: string): string {
  const scopeParam = scope === undefined ? '' : `, scope="${scope}"`
  return `Bearer realm="oauth-lab", error="${error}", error_description="${description}"${scopeParam}`
}

function epoch(date = new Date()): number {
  return Math.floor(date.getTime() / 1000)
}

// Issuer and audience do not depend on where the fixture listens.
const { auth, resource } = loadConfig({})
let fixture: JwksFixture
let config: LabConfig
let app: FastifyInstance

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = epoch()
  return {
    iss: auth.publicUrl,
    aud: resource.publicUrl,
    sub: 'alice',
    client_id: 'oauth-client-1',
    scope: 'foo bar',
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  }
}

function get(target: FastifyInstance, headers: Record<string, string> = {}, url = '/resource') {
  return target.inject({ method: 'GET', url, headers })
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

function build(deps: ResourceServerDeps = {}, env: Record<string, string> = {}): Promise<FastifyInstance> {
  return buildResourceServer(loadConfig({ AUTH_INTERNAL_URL: fixture.url, ...env }), { logger: false, ...deps })
}

beforeAll(async () => {
  fixture = await startJwksFixture()
  config = loadConfig({ AUTH_INTERNAL_URL: fixture.url })
  app = await buildResourceServer(config, { logger: false })
})

afterAll(async () => {
  await app?.close()
  await fixture?.close()
})

describe('GET /resource with a valid token', () => {
  it('answers 200 with the resource and who asked', async () => {
    const res = await get(app, bearer(await fixture.sign(claims())))
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({
      resource: 'foo',
      message: 'Hello alice, here is your foo resource.',
      sub: 'alice',
      client_id: 'oauth-client-1',
      scope: 'foo bar',
    })
  })

  it('accepts the long media type application/at+jwt (RFC 9068 §4)', async () => {
    const res = await get(app, bearer(await fixture.sign(claims({ sub: 'bob' }), { typ: 'application/at+jwt' })))
    expect(res.statusCode).toBe(200)
    expect(res.json().sub).toBe('bob')
  })

  it('accepts an aud array that contains this resource server', async () => {
    const token = await fixture.sign(claims({ aud: ['http://other.example', config.resource.publicUrl] }))
    expect((await get(app, bearer(token))).statusCode).toBe(200)
  })

  it('treats the scheme name case-insensitively', async () => {
    const res = await get(app, { authorization: `bEaReR ${await fixture.sign(claims())}` })
    expect(res.statusCode).toBe(200)
  })
})

describe('GET /resource without usable credentials (RFC 6750 §3.1)', () => {
  it('answers 401 with a realm and no error code when there is no Authorization header', async () => {
    const res = await get(app)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(REALM_ONLY)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json()
    expect(body).not.toHaveProperty('error')
    expect(body.error_description).toMatch(/Bearer/)
  })

  it('answers 401 realm only for the Basic scheme', async () => {
    const res = await get(app, { authorization: 'Basic b2F1dGgtY2xpZW50LTE6c2VjcmV0' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(REALM_ONLY)
    expect(res.json()).not.toHaveProperty('error')
  })

  it.each([
    ['a value with a space', 'Bearer abc def'],
    ['no token after the scheme', 'Bearer'],
    ['a quote in the token', 'Bearer abc"def'],
    ['padding in the middle', 'Bearer ab=cd'],
  ])('answers 400 invalid_request for %s', async (_name, authorization) => {
    const res = await get(app, { authorization })
    expect(res.statusCode).toBe(400)
    expect(res.headers['www-authenticate']).toBe(
      challenge('invalid_request', 'malformed Authorization header: expected Bearer <token>'),
    )
    expect(res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'malformed Authorization header: expected Bearer <token>',
    })
  })

  it('answers 400 invalid_request when the token is in the header and the query (RFC 6750 §2)', async () => {
    const token = await fixture.sign(claims())
    const res = await get(app, bearer(token), `/resource?access_token=${token}`)
    expect(res.statusCode).toBe(400)
    expect(res.headers['www-authenticate']).toBe(
      challenge('invalid_request', 'the access token was sent by more than one method'),
    )
    expect(res.json().error).toBe('invalid_request')
  })

  it('answers 400 invalid_request for a token in the query only: the header is the one method', async () => {
    const token = await fixture.sign(claims())
    const res = await get(app, {}, `/resource?access_token=${token}`)
    expect(res.statusCode).toBe(400)
    expect(res.headers['www-authenticate']).toBe(
      challenge('invalid_request', 'send the access token in the Authorization header only (RFC 6750 section 2.1)'),
    )
    expect(res.body).not.toContain(token)
  })
})

describe('GET /resource with a bad token (RFC 9068 §4 → invalid_token)', () => {
  const cases: Array<[string, () => Promise<string>, string]> = [
    [
      'an expired token',
      () => fixture.sign(claims({ iat: epoch() - 600, exp: epoch() - 60 })),
      'the access token has expired (exp)',
    ],
    [
      'another issuer',
      () => fixture.sign(claims({ iss: 'http://evil.example' })),
      'the access token was not issued by http://localhost:9001 (iss)',
    ],
    [
      'another audience',
      () => fixture.sign(claims({ aud: 'http://localhost:9999' })),
      'the access token is not meant for http://localhost:9002 (aud)',
    ],
    [
      'typ JWT (e.g. an ID token)',
      () => fixture.sign(claims(), { typ: 'JWT' }),
      'the token is not a JWT access token: its typ header must be at+jwt (RFC 9068 section 4)',
    ],
    [
      'no typ header',
      () => fixture.sign(claims(), { typ: null }),
      'the token is not a JWT access token: its typ header must be at+jwt (RFC 9068 section 4)',
    ],
    [
      'a signature by another key with the published kid',
      async () => fixture.sign(claims(), { key: await otherKey() }),
      'the access token signature is invalid',
    ],
    [
      'a kid the authorization server does not publish',
      async () => fixture.sign(claims(), { key: await otherKey(), kid: 'unknown-kid' }),
      'no key of the authorization server matches the token (kid)',
    ],
    [
      'alg none (unsigned)',
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))
        return `${header}.${base64url.encode(JSON.stringify(claims()))}.`
      },
      'the token alg is not accepted (accepted: ES256, RS256, EdDSA, PS256)',
    ],
    [
      'alg HS256 (a shared secret)',
      () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: fixture.kid })
          .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!')),
      'the token alg is not accepted (accepted: ES256, RS256, EdDSA, PS256)',
    ],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await fixture.sign(claims({ scope: 'bar' }))).split('.')
        return `${header}.${base64url.encode(JSON.stringify(claims({ scope: 'foo bar' })))}.${signature}`
      },
      'the access token signature is invalid',
    ],
    [
      'no jti claim (RFC 9068 §2.2)',
      () => fixture.sign(claims({ jti: undefined })),
      'the access token lacks the required jti claim',
    ],
    ['not a JWT at all', async () => 'opaque-token-value', 'the access token is malformed: expected a signed JWT'],
  ]

  it.each(cases)('answers 401 invalid_token for %s', async (_name, mint, description) => {
    const token = await mint()
    const res = await get(app, bearer(token))
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(challenge('invalid_token', description))
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: description })
    // The token is never echoed back.
    expect(res.body).not.toContain(token)
    expect(res.headers['www-authenticate']).not.toContain(token)
  })
})

describe('GET /resource with a token that lacks scope foo (RFC 6750 §3.1)', () => {
  it.each([
    ['only bar', 'bar'],
    ['a scope that merely contains foo', 'foobar food'],
    ['no scope at all', undefined],
  ])('answers 403 insufficient_scope with scope="foo" for %s', async (_name, scope) => {
    const res = await get(app, bearer(await fixture.sign(claims({ scope }))))
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toBe(
      challenge('insufficient_scope', 'the access token lacks the foo scope', 'foo'),
    )
    expect(res.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'the access token lacks the foo scope',
    })
  })
})

describe('token verification plumbing', () => {
  it('fetches the JWKS once across many requests, through deps.fetch', async () => {
    let fetches = 0
    const countingFetch: typeof fetch = (input, init) => {
      fetches += 1
      return fetch(input, init)
    }
    const fresh = await build({ fetch: countingFetch })
    try {
      const before = fixture.hits()
      const token = await fixture.sign(claims())
      for (let i = 0; i < 5; i += 1) expect((await get(fresh, bearer(token))).statusCode).toBe(200)
      // Bad tokens with the published kid must not trigger refetches either.
      expect((await get(fresh, bearer(await fixture.sign(claims(), { key: await otherKey() })))).statusCode).toBe(401)
      expect(fixture.hits() - before).toBe(1)
      expect(fetches).toBe(1)
    } finally {
      await fresh.close()
    }
  })

  it('uses deps.now for exp, with 5 seconds of leeway', async () => {
    const exp = epoch() + 3600
    const token = await fixture.sign(claims({ iat: exp - 60, exp }))
    const justAfter = await build({ now: () => new Date((exp + 3) * 1000) })
    const wellAfter = await build({ now: () => new Date((exp + 10) * 1000) })
    try {
      expect((await get(justAfter, bearer(token))).statusCode).toBe(200)
      const res = await get(wellAfter, bearer(token))
      expect(res.statusCode).toBe(401)
      expect(res.json().error_description).toBe('the access token has expired (exp)')
    } finally {
      await justAfter.close()
      await wellAfter.close()
    }
  })

  it('answers 503 temporarily_unavailable while the keys cannot be fetched, then recovers', async () => {
    const fresh = await build()
    const token = await fixture.sign(claims())
    try {
      fixture.failWith(500)
      const res = await get(fresh, bearer(token))
      expect(res.statusCode).toBe(503)
      expect(res.headers['www-authenticate']).toBeUndefined()
      expect(res.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'cannot check the token: the authorization server keys are unavailable',
      })
      fixture.failWith(undefined)
      expect((await get(fresh, bearer(token))).statusCode).toBe(200)
    } finally {
      fixture.failWith(undefined)
      await fresh.close()
    }
  })

  it('answers 503 when the authorization server cannot be reached at all', async () => {
    const unreachable: typeof fetch = async () => {
      throw new TypeError('fetch failed')
    }
    const fresh = await build({ fetch: unreachable })
    try {
      const res = await get(fresh, bearer(await fixture.sign(claims())))
      expect(res.statusCode).toBe(503)
      expect(res.json().error).toBe('temporarily_unavailable')
    } finally {
      await fresh.close()
    }
  })
})

describe('introspection mode (RESOURCE_TOKEN_CHECK=introspect, RFC 7662)', () => {
  interface Seen {
    url: string
    authorization: string | null
    body: URLSearchParams
  }

  function fakeAs(status: number, answer: unknown, seen: Seen[] = []): typeof fetch {
    return async (input, init) => {
      const headers = new Headers(init?.headers)
      const body = new URLSearchParams(typeof init?.body === 'string' ? init.body : undefined)
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      seen.push({ url, authorization: headers.get('authorization'), body })
      return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } })
    }
  }

  function active(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { active: true, ...claims(), token_type: 'Bearer', ...overrides }
  }

  async function withApp(fetchImpl: typeof fetch, run: (target: FastifyInstance) => Promise<void>) {
    const target = await build({ fetch: fetchImpl }, { RESOURCE_TOKEN_CHECK: 'introspect' })
    try {
      await run(target)
    } finally {
      await target.close()
    }
  }

  it('asks POST /introspect with Basic auth as oauth-resource-1 and serves an active token', async () => {
    const seen: Seen[] = []
    await withApp(fakeAs(200, active({ sub: 'bob' }), seen), async (target) => {
      const res = await get(target, bearer('opaque-token-1'))
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ sub: 'bob', client_id: 'oauth-client-1', scope: 'foo bar' })
      const basic = `Basic ${Buffer.from('oauth-resource-1:oauth-resource-secret-1').toString('base64')}`
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ url: `${fixture.url}/introspect`, authorization: basic })
      expect(first(seen).body.get('token')).toBe('opaque-token-1')
      // Every request is checked again, so a revocation takes effect at once.
      await get(target, bearer('opaque-token-1'))
      expect(seen).toHaveLength(2)
    })
  })

  it.each([
    ['an inactive token', { active: false }, 'the access token is not active (expired, revoked or unknown)'],
    ['a refresh token', active({ token_type: 'refresh_token' }), 'the token is not an access token (token_type)'],
    [
      'another audience',
      active({ aud: 'http://localhost:9999' }),
      'the access token is not meant for http://localhost:9002 (aud)',
    ],
  ])('answers 401 invalid_token for %s', async (_name, answer, description) => {
    await withApp(fakeAs(200, answer), async (target) => {
      const res = await get(target, bearer('opaque-token-2'))
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe(challenge('invalid_token', description))
    })
  })

  it('answers 403 insufficient_scope for an active token without foo', async () => {
    await withApp(fakeAs(200, active({ scope: 'bar' })), async (target) => {
      expect((await get(target, bearer('opaque-token-3'))).statusCode).toBe(403)
    })
  })

  it('answers 503 when the introspection endpoint refuses the resource server', async () => {
    await withApp(fakeAs(401, { error: 'invalid_client' }), async (target) => {
      const res = await get(target, bearer('opaque-token-4'))
      expect(res.statusCode).toBe(503)
      expect(res.json().error).toBe('temporarily_unavailable')
    })
  })
})

describe('bearerChallenge (RFC 6750 §3)', () => {
  it('keeps auth-param values free of quotes, backslashes and non-ASCII', () => {
    const header = bearerChallenge(invalidToken('a "quoted" \\path\\ §4 \u00e9t\u00e9\nnext'))
    expect(header).toBe(
      `Bearer realm="oauth-lab", error="invalid_token", error_description="a 'quoted' /path/ 4 tnext"`,
    )
  })
})

describe('other routes', () => {
  it('answers GET /healthz', async () => {
    const res = await get(app, {}, '/healthz')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })

  it('answers an unknown route with JSON 404 and no stack', async () => {
    const res = await get(app, {}, '/nope?access_token=secret')
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'not_found', error_description: 'no route for GET /nope' })
  })
})
