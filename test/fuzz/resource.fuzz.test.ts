// Property-based tests of GET /resource (RFC 6750 §2.1, §3, §3.1; RFC 9068 §4): random
// Authorization headers and tokens signed with random claims and headers, each
// checked against the exact answer RFC 6750 allows. The JWKS is up, so never a 503.

import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonValue } from 'fast-check'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { loadConfig } from '../../src/shared/config.js'
import { otherKey, startJwksFixture, type JwksFixture } from '../helpers/jwks-fixture.js'
import type { CryptoKey } from 'jose'
import {
  ISSUER,
  RESOURCE,
  check,
  expectHealthz,
  headerSafe,
  jwtLookingGarbage,
  runs,
  type Exchange,
} from './arbitraries.js'

const REALM_ONLY = 'Bearer realm="oauth-lab"'
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** RFC 6750 §3: auth-params, each value within %x20-21 / %x23-5B / %x5D-7E. */
const DPOP_ALGS = 'algs="ES256 RS256 PS256 EdDSA"'
const CHALLENGE =
  /^(?:Bearer|DPoP) [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*"(, [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*")*$/
/** Seconds of leeway the resource server may allow on exp and nbf; values this close to now are not judged. */
const LEEWAY = 30

let fixture: JwksFixture
let app: FastifyInstance
let foreignKey: CryptoKey

beforeAll(async () => {
  fixture = await startJwksFixture()
  foreignKey = await otherKey()
  const config = loadConfig({ AUTH_INTERNAL_URL: fixture.url, LOG_LEVEL: 'silent' })
  app = await buildResourceServer(config, { logger: false })
})

afterAll(async () => {
  await app?.close()
  await fixture?.close()
})

const epoch = () => Math.floor(Date.now() / 1000)

async function get(req: Exchange): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: req.url, headers: req.headers })
}

type Verdict =
  | 'no-credentials'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'ok'
  // RFC 9449 §7.1: the DPoP scheme's answers, with its own challenge.
  | 'dpop-invalid_request'
  | 'dpop-invalid_token'

/** The answer RFC 6750 §3.1 gives each verdict: status, challenge and JSON error. */
function checkVerdict(req: Exchange, res: LightMyRequestResponse, allowed: readonly Verdict[]): Verdict {
  check(res.statusCode < 500, 'no 5xx (and no 503: the JWKS is up)', req, res)
  const challenge = String(res.headers['www-authenticate'] ?? '')
  const error = (() => {
    try {
      return res.json().error as unknown
    } catch {
      return undefined
    }
  })()
  let verdict: Verdict | undefined
  if (res.statusCode === 200) verdict = 'ok'
  else if (res.statusCode === 401 && challenge === REALM_ONLY && error === undefined) verdict = 'no-credentials'
  else if (
    res.statusCode === 401 &&
    challenge.startsWith(`${REALM_ONLY}, error="invalid_token"`) &&
    error === 'invalid_token'
  )
    verdict = 'invalid_token'
  else if (
    res.statusCode === 400 &&
    challenge.startsWith(`${REALM_ONLY}, error="invalid_request"`) &&
    error === 'invalid_request'
  )
    verdict = 'invalid_request'
  else if (
    res.statusCode === 403 &&
    challenge.startsWith(`${REALM_ONLY}, error="insufficient_scope"`) &&
    challenge.includes('scope="foo"') &&
    error === 'insufficient_scope'
  ) {
    verdict = 'insufficient_scope'
  } else if (
    res.statusCode === 401 &&
    challenge.startsWith('DPoP error="invalid_token"') &&
    challenge.endsWith(DPOP_ALGS) &&
    error === 'invalid_token'
  )
    verdict = 'dpop-invalid_token'
  else if (res.statusCode === 400 && challenge === `DPoP ${DPOP_ALGS}` && error === 'invalid_request')
    verdict = 'dpop-invalid_request'
  check(
    verdict !== undefined,
    'an RFC 6750 §3.1 answer (401 realm only, 401 invalid_token, 400 invalid_request, 403 insufficient_scope) or 200',
    req,
    res,
  )
  if (verdict !== 'ok') {
    check(CHALLENGE.test(challenge), 'WWW-Authenticate auth-params with RFC 6750 §3 characters only', req, res)
    const names = [...challenge.matchAll(/([a-z_]+)="/g)].map((m) => m[1])
    check(new Set(names).size === names.length, 'no auth-param twice (RFC 6750 §3)', req, res)
  }
  check(allowed.includes(verdict!), `one of: ${allowed.join(', ')}`, req, res)
  return verdict!
}

// ---- Property 1: random Authorization headers ----------------------------------------

const scheme = fc.oneof(
  { arbitrary: fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr'), weight: 5 },
  {
    arbitrary: fc.constantFrom('Basic', 'Token', 'MAC', 'DPoP', 'Bearer:', 'Bearerx', 'Bearer,', 'OAuth', ''),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
)
const gap = fc.constantFrom(' ', ' ', ' ', '  ', '', '\t', ' \t', ' , ')
const presented = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,80}={0,2}$/), weight: 4 },
  { arbitrary: jwtLookingGarbage, weight: 4 },
  { arbitrary: fc.uint8Array({ maxLength: 96 }).map((b) => Buffer.from(b).toString('base64')), weight: 2 },
  {
    arbitrary: fc.constantFrom('a b', 'abc,def', 'x"y', '=abc', 'abc=def', '..', '....', 'a.b.c.d', 'null', '\\'),
    weight: 2,
  },
  { arbitrary: fc.string({ maxLength: 60 }), weight: 2 },
)
const authorization = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: fc.tuple(scheme, gap, presented).map(([s, g, t]) => headerSafe(`${s}${g}${t}`)), weight: 8 },
  { arbitrary: fc.string({ maxLength: 40 }).map(headerSafe), weight: 1 },
)
const query = fc.constantFrom(
  '',
  '',
  '',
  '',
  '?access_token=abc',
  '?foo=bar',
  '?access_token=',
  '?ACCESS_TOKEN=x',
  '?access_token=a&access_token=b',
)

/** RFC 6750 §2.1 (`Bearer 1*SP b64token`), §2 (one method only), §3.1 — for tokens that are never validly signed. */
function expectedForHeader(header: string | undefined, url: string): Verdict[] {
  const h = header ?? ''
  const elsewhere = new URL(url, RESOURCE).searchParams.has('access_token')
  const space = h.indexOf(' ')
  const schemeName = space === -1 ? h : h.slice(0, space)
  // RFC 9449 §7: the DPoP scheme (its token never bound here, so never accepted).
  if (/^dpop(?: |$)/i.test(h)) {
    if (elsewhere) return ['dpop-invalid_request']
    return B64TOKEN.test(h.slice(4).replace(/^ +/, '')) ? ['dpop-invalid_token'] : ['dpop-invalid_request']
  }
  if (schemeName.toLowerCase() !== 'bearer') {
    if (elsewhere) return ['invalid_request']
    // "Bearer<TAB>token" is no Bearer credential, or a malformed one.
    return /^bearer\s/i.test(h) ? ['no-credentials', 'invalid_request'] : ['no-credentials']
  }
  if (elsewhere) return ['invalid_request']
  const token = space === -1 ? '' : h.slice(space).replace(/^ +/, '')
  return B64TOKEN.test(token) ? ['invalid_token'] : ['invalid_request']
}

// ---- Property 2: tokens signed by the JWKS fixture, random claims and headers --------

const MISSING = undefined
const json = fc
  .jsonValue({ maxDepth: 1 })
  .filter((v) => typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v - epoch()) > 3600)

type TimeSpec = number | 'missing' | { readonly value: JsonValue }

/** For each claim and header field: the values that should pass, and anything at all (a valid value included). */
const FIELDS = {
  iss: {
    valid: fc.constant<JsonValue | undefined>(ISSUER),
    any: fc.oneof(
      fc.constantFrom<JsonValue | undefined>(
        'http://localhost:9001/',
        'https://localhost:9001',
        'http://127.0.0.1:9001',
        'HTTP://localhost:9001',
        RESOURCE,
        MISSING,
        ISSUER,
      ),
      json,
    ),
  },
  aud: {
    valid: fc.constantFrom<JsonValue | undefined>(RESOURCE, [RESOURCE], ['http://localhost:3000', RESOURCE]),
    any: fc.oneof(
      fc.constantFrom<JsonValue | undefined>(
        'http://localhost:9002/',
        ISSUER,
        [],
        ['http://localhost:3000'],
        `${RESOURCE} `,
        MISSING,
      ),
      json,
    ),
  },
  sub: {
    valid: fc.oneof(fc.constantFrom<JsonValue | undefined>('alice', 'bob'), fc.string({ minLength: 1, maxLength: 20 })),
    any: fc.oneof(fc.constant(MISSING), json),
  },
  client_id: {
    valid: fc.constantFrom<JsonValue | undefined>('oauth-client-1', 'oauth-client-public'),
    any: fc.oneof(fc.constant(MISSING), json),
  },
  scope: {
    valid: fc.constantFrom<JsonValue | undefined>(
      'foo',
      'foo bar',
      'bar foo',
      ' foo',
      'bar  foo',
      'bar',
      '',
      'Foo',
      'foobar',
      'foo,bar',
      MISSING,
    ),
    any: fc.oneof(fc.string({ maxLength: 12 }), json),
  },
  jti: { valid: fc.uuid().map((v): JsonValue | undefined => v), any: fc.oneof(fc.constant(MISSING), json) },
  iat: {
    valid: fc.integer({ min: -3600, max: 0 }).map((v): TimeSpec => v),
    any: fc.oneof(
      fc.constant<TimeSpec>('missing'),
      json.map((value): TimeSpec => ({ value })),
    ),
  },
  exp: {
    valid: fc.integer({ min: LEEWAY, max: 86_400 }).map((v): TimeSpec => v),
    any: fc.oneof(
      fc.integer({ min: -86_400, max: -LEEWAY }).map((v): TimeSpec => v),
      fc.constant<TimeSpec>('missing'),
      json.map((value): TimeSpec => ({ value })),
    ),
  },
  nbf: {
    valid: fc.oneof(
      fc.constant<TimeSpec>('missing'),
      fc.integer({ min: -3600, max: -LEEWAY }).map((v): TimeSpec => v),
    ),
    any: fc.oneof(
      fc.integer({ min: LEEWAY, max: 3600 }).map((v): TimeSpec => v),
      json.map((value): TimeSpec => ({ value })),
    ),
  },
  typ: {
    valid: fc.constantFrom<string | null>('at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'),
    any: fc.constantFrom<string | null>(
      'JWT',
      'jwt',
      'application/jwt',
      'x/at+jwt',
      'at+jwt ',
      'at-jwt',
      'JWT at+jwt',
      '',
      null,
    ),
  },
  kid: {
    valid: fc.constantFrom<string | null>('fixture', null),
    any: fc.constantFrom<string | null>('other-kid', '', 'fixture '),
  },
  foreign: { valid: fc.constant(false), any: fc.constant(true) },
} as const
type FieldName = keyof typeof FIELDS
type Picked = { [K in FieldName]: (typeof FIELDS)[K]['valid'] extends fc.Arbitrary<infer T> ? T : never }

const pick = (which: 'valid' | 'any') =>
  fc.record(
    Object.fromEntries(Object.entries(FIELDS).map(([name, f]) => [name, f[which]])) as {
      [K in FieldName]: (typeof FIELDS)[K]['valid']
    },
  ) as fc.Arbitrary<Picked>

/**
 * A token spec: every field valid, except up to three fields drawn from
 * "anything", so that most runs sit close to the boundary between 200, 403 and 401.
 */
const tokenSpec = fc
  .record({
    valid: pick('valid'),
    any: pick('any'),
    broken: fc.subarray(Object.keys(FIELDS) as FieldName[], { maxLength: 3 }),
    extra: fc.dictionary(
      fc.string({ maxLength: 6 }).filter((k) => !(k in FIELDS)),
      json,
      { maxKeys: 3 },
    ),
  })
  .map(({ valid, any, broken, extra }) => {
    const spec = { ...valid } as Record<FieldName, unknown>
    for (const name of broken) spec[name] = any[name]
    return { ...(spec as Picked), extra }
  })
type ClaimSpec = typeof tokenSpec extends fc.Arbitrary<infer T> ? T : never
type HeaderSpec = Pick<ClaimSpec, 'typ' | 'kid' | 'foreign'>

function materialize(spec: ClaimSpec, now: number): Record<string, unknown> {
  const time = (v: TimeSpec) => (v === 'missing' ? undefined : typeof v === 'number' ? now + v : v.value)
  const claims: Record<string, unknown> = { ...spec.extra }
  const set = (name: string, value: unknown) => void (value !== undefined && (claims[name] = value))
  set('iss', spec.iss)
  set('aud', spec.aud)
  set('sub', spec.sub)
  set('client_id', spec.client_id)
  set('scope', spec.scope)
  set('jti', spec.jti)
  set('iat', time(spec.iat))
  set('exp', time(spec.exp))
  set('nbf', time(spec.nbf))
  return claims
}

/** RFC 9068 §4 and RFC 6750 §3.1: what a token signed with these claims and header deserves. */
function expectedForToken(claims: Record<string, unknown>, header: HeaderSpec, now: number): Verdict[] {
  const typ = header.typ
  const problems: string[] = []
  if (header.foreign) problems.push('signature')
  if (typ === null || !['at+jwt', 'application/at+jwt'].includes(typ.toLowerCase())) problems.push('typ')
  if (header.kid !== null && header.kid !== 'fixture') problems.push('kid')
  if (claims.iss !== ISSUER) problems.push('iss')
  const aud = claims.aud
  if (!(aud === RESOURCE || (Array.isArray(aud) && aud.includes(RESOURCE)))) problems.push('aud')
  for (const name of ['sub', 'client_id', 'jti']) if (typeof claims[name] !== 'string') problems.push(name)
  if (claims.scope !== undefined && typeof claims.scope !== 'string') problems.push('scope')
  if (typeof claims.iat !== 'number') problems.push('iat')
  const { exp, nbf } = claims
  if (typeof exp !== 'number' || exp <= now) problems.push('exp')
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) problems.push('nbf')
  if (problems.length > 0) return ['invalid_token']
  return (typeof claims.scope === 'string' ? claims.scope : '').split(' ').includes('foo')
    ? ['ok']
    : ['insufficient_scope']
}

// ---- The properties ------------------------------------------------------------------

describe('GET /resource, fuzzed', () => {
  it('answers random Authorization headers exactly as RFC 6750 says, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(authorization, query, async (header, q) => {
        const req: Exchange = {
          method: 'GET',
          url: `/resource${q}`,
          headers: header === undefined ? {} : { authorization: header },
        }
        const res = await get(req)
        checkVerdict(req, res, expectedForHeader(header, req.url))
      }),
      runs(450),
    )
  })

  it('accepts a signed token only with typ at+jwt, iss, aud, sub, client_id, jti, iat, unexpired, and scope foo', async () => {
    await fc.assert(
      fc.asyncProperty(tokenSpec, async (spec) => {
        const header: HeaderSpec = spec
        const now = epoch()
        const claims = materialize(spec, now)
        const token = await fixture.sign(claims, {
          typ: header.typ,
          kid: header.kid === 'fixture' ? fixture.kid : header.kid,
          ...(header.foreign ? { key: foreignKey } : {}),
        })
        const req: Exchange = { method: 'GET', url: '/resource', headers: { authorization: `Bearer ${token}` } }
        const res = await get(req)
        const verdict = checkVerdict(req, res, expectedForToken(claims, header, now))
        if (verdict === 'ok') {
          const body = res.json()
          check(
            body.resource === 'foo' &&
              body.sub === claims.sub &&
              body.client_id === claims.client_id &&
              body.scope === claims.scope,
            'the resource naming who asked',
            req,
            res,
          )
        }
      }),
      runs(450),
    )
  })

  it('stays healthy: /healthz, and a good token still gets the resource', async () => {
    await expectHealthz(app)
    const now = epoch()
    const token = await fixture.sign({
      iss: ISSUER,
      aud: RESOURCE,
      sub: 'alice',
      client_id: 'oauth-client-1',
      scope: 'foo bar',
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
    })
    const res = await app.inject({ method: 'GET', url: '/resource', headers: { authorization: `Bearer ${token}` } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ resource: 'foo', sub: 'alice', client_id: 'oauth-client-1', scope: 'foo bar' })
  })
})
