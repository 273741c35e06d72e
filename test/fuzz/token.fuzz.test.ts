// Property-based tests of POST /token (RFC 6749 §2.3.1, §3.2, §4.1.3, §4.4, §5.1, §5.2, §6; RFC 7636 §4.6):
// malformed bodies, content types and Authorization headers, a model of the exact
// RFC 6749 §5.2 error each well-formed request deserves, and mutated redemptions of real codes.

import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LabConfig } from '../../src/shared/config.js'
import { obtainCode, pkcePair, testAuthServer } from '../helpers/auth-server.js'
import { tokensFor } from '../helpers/back-channel.js'
import { injectBrowser, type InjectBrowser } from '../helpers/inject-browser.js'
import {
  BACK_CHANNEL_NAMES,
  REGISTERED_RESOURCES,
  CONFIDENTIAL_ID,
  CONFIDENTIAL_SECRET,
  FORM_CONTENT_TYPE,
  ISSUER,
  NOT_FORM_TYPES,
  PUBLIC_ID,
  REDIRECT_URI,
  RESOURCE_CLIENT_ID,
  SECRETS,
  TOKEN_ERRORS,
  authorizationHeader,
  backChannelQuery,
  basicHeader,
  chaoticBody,
  check,
  expectHealthz,
  contentType,
  formEncode,
  grantTypeValue,
  junkName,
  junkText,
  randomToken,
  redirectUriValue,
  runs,
  scopeValue,
  type Exchange,
} from './arbitraries.js'
import { checkErrorBody, checkStatusAndNoStore, jsonBody, post } from './envelope.js'

const PATHS = ['/token', '/site/oauth2/access_token'] as const
const BODY_LIMIT = 16 * 1024
const MAX_PARAM_LENGTH = 4096
/** RFC 8693: oauth-client-1 may exchange tokens; the fuzzed bodies never carry a subject_token. */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const GRANTS: Readonly<Record<string, readonly string[]>> = {
  [CONFIDENTIAL_ID]: ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE],
  [PUBLIC_ID]: ['authorization_code', 'refresh_token'],
  [RESOURCE_CLIENT_ID]: [],
}
const CLIENT_SCOPES = new Set(['foo', 'bar'])

let app: FastifyInstance
let config: LabConfig
/** Alice, signed in, with remembered decisions for both clients: /authorize answers with a code at once. */
let alice: InjectBrowser

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
  alice = injectBrowser(app)
  for (const clientId of [CONFIDENTIAL_ID, PUBLIC_ID]) {
    const pkce = pkcePair()
    const { params } = await obtainCode(app, config, {
      browser: alice,
      remember: true,
      query: { client_id: clientId, code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    })
    if (!params.get('code')) throw new Error(`setup: no code for ${clientId}`)
  }
})

afterAll(async () => {
  await app?.close()
})

/** What every answer of the token endpoint must be, whatever was asked (RFC 6749 §5.1, §5.2). */
function checkEnvelope(req: Exchange, res: LightMyRequestResponse): { error?: string } {
  checkStatusAndNoStore(req, res)
  check(String(res.headers['content-type'] ?? '').startsWith('application/json'), 'a JSON answer', req, res)
  const body = jsonBody(req, res)
  if (res.statusCode === 200) {
    check(
      typeof body.access_token === 'string' && body.token_type === 'Bearer',
      'access_token and token_type Bearer',
      req,
      res,
    )
    check(
      typeof body.expires_in === 'number' && body.expires_in > 0 && typeof body.scope === 'string',
      'expires_in and scope',
      req,
      res,
    )
    return {}
  }
  const error = checkErrorBody(req, res, body, TOKEN_ERRORS)
  if (res.statusCode === 413) check(error === 'invalid_request', '413 with invalid_request', req, res)
  return { error }
}

// ---- Property 1: chaos ---------------------------------------------------------------

const chaoticRequest = fc
  .record({
    path: fc.constantFrom(...PATHS),
    query: backChannelQuery,
    contentType,
    authorization: authorizationHeader,
    body: chaoticBody,
  })
  .map(({ path, query, contentType: type, authorization, body }): Exchange => {
    const headers: Record<string, string> = {}
    if (type !== undefined) headers['content-type'] = type
    if (authorization !== undefined) headers.authorization = authorization
    return { method: 'POST', url: `${path}${query}`, headers, payload: body }
  })

const FORM_TYPES = new Set([FORM_CONTENT_TYPE, `${FORM_CONTENT_TYPE}; charset=utf-8`])
const NOT_FORM = new Set<string>(NOT_FORM_TYPES)

// ---- Property 2: a model of the exact error ------------------------------------------

type HeaderChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly id: string; readonly secret: 'right' | 'wrong' | 'empty' }
  | { readonly kind: 'malformed'; readonly value: string }

const MALFORMED_BASIC = [
  'Basic',
  'Basic !!!',
  `Basic ${Buffer.from(CONFIDENTIAL_ID).toString('base64')}`,
  `Basic ${Buffer.from(`:${CONFIDENTIAL_SECRET}`).toString('base64')}`,
  'Bearer abc.def.ghi',
  'Digest username="oauth-client-1"',
] as const

const clientChoice = fc.constantFrom(CONFIDENTIAL_ID, PUBLIC_ID, RESOURCE_CLIENT_ID, 'unknown-client', 'OAUTH-CLIENT-1')
const secretChoice = fc.constantFrom<'right' | 'wrong' | 'empty'>('right', 'right', 'wrong', 'empty')
const maybe = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { nil: undefined, freq })

const modelledRequest = fc.record({
  path: fc.constantFrom(...PATHS),
  header: fc.oneof(
    fc.constant<HeaderChoice>({ kind: 'none' }),
    fc.record({ kind: fc.constant('basic' as const), id: clientChoice, secret: secretChoice }),
    fc.record({ kind: fc.constant('malformed' as const), value: fc.constantFrom(...MALFORMED_BASIC) }),
  ),
  bodyId: maybe(fc.oneof(clientChoice, fc.constant('')), 1),
  bodySecret: maybe(secretChoice, 1),
  grantType: maybe(grantTypeValue, 6),
  code: maybe(fc.oneof(randomToken, fc.constant(''))),
  refreshToken: maybe(fc.oneof(randomToken, fc.constant(''))),
  scope: maybe(scopeValue),
  redirectUri: maybe(redirectUriValue),
  codeVerifier: maybe(fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/), junkText)),
  extra: fc.uniqueArray(fc.record({ name: junkName, value: junkText }), { maxLength: 3, selector: (p) => p.name }),
})
type ModelledRequest = typeof modelledRequest extends fc.Arbitrary<infer T> ? T : never

function secretFor(id: string | undefined, choice: 'right' | 'wrong' | 'empty'): string {
  if (choice === 'empty') return ''
  return choice === 'right' ? (SECRETS[id ?? ''] ?? 'no-secret') : 'wrong-secret'
}

function buildModelled(r: ModelledRequest): { req: Exchange; fields: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': FORM_CONTENT_TYPE }
  if (r.header.kind === 'basic')
    headers.authorization = basicHeader(r.header.id, secretFor(r.header.id, r.header.secret))
  if (r.header.kind === 'malformed') headers.authorization = r.header.value
  const fields: Record<string, string> = {}
  const secretOwner = r.bodyId || (r.header.kind === 'basic' ? r.header.id : undefined)
  const set = (name: string, value: string | undefined) => void (value !== undefined && (fields[name] = value))
  set('client_id', r.bodyId)
  set('client_secret', r.bodySecret === undefined ? undefined : secretFor(secretOwner, r.bodySecret))
  set('grant_type', r.grantType)
  set('code', r.code)
  set('refresh_token', r.refreshToken)
  set('scope', r.scope)
  set('redirect_uri', r.redirectUri)
  set('code_verifier', r.codeVerifier)
  const pairs = Object.entries(fields)
  for (const { name, value } of r.extra) {
    if (!(BACK_CHANNEL_NAMES as readonly string[]).includes(name)) pairs.push([name, value])
  }
  const payload = pairs.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&')
  return { req: { method: 'POST', url: r.path, headers, payload }, fields: Object.fromEntries(pairs) }
}

interface ExpectedToken {
  /** Allowed errors; empty means 200. */
  readonly errors: ReadonlySet<string>
  readonly oversized: boolean
  readonly requestedScopes: readonly string[]
}

/** RFC 6749 §2.3.1, §3.2, §5.2: the error(s) this request deserves; empty parameters count as absent (§3.2). */
function expectedToken(r: ModelledRequest, req: Exchange, fields: Record<string, string>): ExpectedToken {
  const present = (name: string) => (fields[name] === undefined || fields[name] === '' ? undefined : fields[name])
  const oversized = Buffer.byteLength(req.payload ?? '') > BODY_LIMIT
  const errors = new Set<string>()
  if (Object.values(fields).some((v) => Array.from(v).length > MAX_PARAM_LENGTH)) errors.add('invalid_request')

  // Client authentication.
  const auth = new Set<string>()
  let client: string | undefined
  const bodyId = present('client_id')
  const bodySecret = present('client_secret')
  if (r.header.kind !== 'none') {
    if (bodySecret !== undefined) auth.add('invalid_request') // §2.3: one method only
    if (r.header.kind === 'malformed' || r.header.id === '') {
      auth.add('invalid_client')
    } else {
      const { id } = r.header
      if (bodyId !== undefined && bodyId !== id) auth.add('invalid_request').add('invalid_client')
      const secret = secretFor(id, r.header.secret)
      if (SECRETS[id] === undefined || SECRETS[id] !== secret) auth.add('invalid_client')
      if (auth.size === 0) client = id
    }
  } else if (bodyId === undefined) {
    auth.add('invalid_client')
  } else if (bodySecret !== undefined) {
    if (SECRETS[bodyId] !== undefined && SECRETS[bodyId] === bodySecret) client = bodyId
    else auth.add('invalid_client')
  } else if (bodyId === PUBLIC_ID) {
    client = PUBLIC_ID
  } else {
    auth.add('invalid_client')
  }

  // The grant.
  const grantType = present('grant_type')
  const structural = new Set<string>()
  if (grantType === undefined) structural.add('invalid_request')
  else if (!['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE].includes(grantType))
    structural.add('unsupported_grant_type')
  const requestedScopes = (present('scope') ?? '').split(' ').filter(Boolean)
  // RFC 8707 §2: a resource that is not a registered resource server, refused before the code or token is looked at.
  const resource = present('resource')
  const badTarget = resource !== undefined && !REGISTERED_RESOURCES.has(resource)
  if (client === undefined) {
    for (const e of [...auth, ...structural]) errors.add(e)
  } else if (structural.size > 0) {
    for (const e of structural) errors.add(e)
  } else if (!(GRANTS[client] ?? []).includes(grantType!)) {
    errors.add('unauthorized_client')
  } else if (grantType === 'authorization_code') {
    errors.add(present('code') === undefined ? 'invalid_request' : badTarget ? 'invalid_target' : 'invalid_grant')
  } else if (grantType === TOKEN_EXCHANGE) {
    // RFC 8693 §2.1: subject_token is required, and checked before the target.
    errors.add('invalid_request')
  } else if (grantType === 'refresh_token') {
    errors.add(
      present('refresh_token') === undefined ? 'invalid_request' : badTarget ? 'invalid_target' : 'invalid_grant',
    )
  } else if (requestedScopes.some((s) => !CLIENT_SCOPES.has(s))) {
    errors.add('invalid_scope')
  } else if (badTarget) {
    errors.add('invalid_target')
  }
  return { errors, oversized, requestedScopes }
}

// ---- Property 3: mutated redemptions of real codes -----------------------------------

const redemption = fc.record({
  clientId: fc.constantFrom(CONFIDENTIAL_ID, PUBLIC_ID),
  pkce: fc.boolean(),
  redirectSent: fc.boolean(),
  scope: fc.constantFrom(undefined, 'foo', 'bar', 'foo bar', 'bar foo'),
  state: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), { nil: undefined }),
  auth: fc.constantFrom('right', 'right', 'right', 'wrong-secret', 'other-client', 'none', 'both-methods'),
  code: fc.constantFrom('right', 'right', 'right', 'truncated', 'extended'),
  redirect: fc.constantFrom('same', 'same', 'omit', 'wrong'),
  wrongRedirect: fc.constantFrom(
    'http://localhost:3000/authenticated/',
    'http://evil.example/authenticated',
    'http://localhost:3000/Authenticated',
  ),
  verifier: fc.constantFrom('right', 'right', 'omit', 'wrong', 'malformed'),
  path: fc.constantFrom(...PATHS),
})
type Redemption = typeof redemption extends fc.Arbitrary<infer T> ? T : never

/** RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §2.1.1: the errors allowed for this redemption (empty: success). */
function expectedRedemption(m: Redemption, pkce: boolean): Set<string> {
  if (m.auth === 'wrong-secret' || m.auth === 'none') return new Set(['invalid_client'])
  if (m.auth === 'both-methods') return new Set(['invalid_request'])
  if (m.auth === 'other-client') return new Set(['invalid_grant'])
  const errors = new Set<string>()
  if (m.code !== 'right') errors.add('invalid_grant')
  if (m.redirect === 'wrong' || (m.redirect === 'omit' && m.redirectSent)) errors.add('invalid_grant')
  if (pkce) {
    if (m.verifier === 'omit' || m.verifier === 'wrong') errors.add('invalid_grant')
    if (m.verifier === 'malformed') errors.add('invalid_grant').add('invalid_request')
  } else if (m.verifier !== 'omit') {
    // RFC 9700 §2.1.1: a verifier without a challenge at step 1 is a downgrade attempt.
    errors.add('invalid_grant').add('invalid_request')
  }
  return errors
}

function redemptionRequest(m: Redemption, code: string, verifier: string): Exchange {
  const mine = m.clientId
  const other = mine === CONFIDENTIAL_ID ? PUBLIC_ID : CONFIDENTIAL_ID
  const credentials = (id: string): { headers: Record<string, string>; form: Record<string, string> } =>
    id === CONFIDENTIAL_ID
      ? { headers: { authorization: basicHeader(id, CONFIDENTIAL_SECRET) }, form: {} }
      : { headers: {}, form: { client_id: id } }
  let caller = credentials(mine)
  if (m.auth === 'other-client') caller = credentials(other)
  if (m.auth === 'none') caller = { headers: {}, form: {} }
  if (m.auth === 'wrong-secret') {
    caller =
      mine === CONFIDENTIAL_ID
        ? { headers: { authorization: basicHeader(mine, 'not-the-secret') }, form: {} }
        : { headers: {}, form: { client_id: mine, client_secret: 'not-the-secret' } }
  }
  if (m.auth === 'both-methods') {
    caller = {
      headers: { authorization: basicHeader(CONFIDENTIAL_ID, CONFIDENTIAL_SECRET) },
      form: { client_secret: CONFIDENTIAL_SECRET },
    }
  }
  const form: Record<string, string> = { grant_type: 'authorization_code', ...caller.form }
  form.code = m.code === 'truncated' ? code.slice(0, -1) : m.code === 'extended' ? `${code}A` : code
  if (m.redirect === 'same') form.redirect_uri = REDIRECT_URI
  if (m.redirect === 'wrong') form.redirect_uri = m.wrongRedirect
  if (m.verifier === 'right') form.code_verifier = verifier
  if (m.verifier === 'wrong') form.code_verifier = pkcePair().verifier
  if (m.verifier === 'malformed') form.code_verifier = 'short+verifier/with=bad chars'
  return {
    method: 'POST',
    url: m.path,
    headers: { 'content-type': FORM_CONTENT_TYPE, ...caller.headers },
    payload: new URLSearchParams(form).toString(),
  }
}

// ---- The properties ------------------------------------------------------------------

describe('POST /token, fuzzed', () => {
  it('answers any request with RFC 6749 §5.2 JSON, no-store, never 5xx, never 200 without a valid grant', async () => {
    await fc.assert(
      fc.asyncProperty(chaoticRequest, async (req) => {
        const res = await post(app, req)
        const { error } = checkEnvelope(req, res)
        const type = req.headers?.['content-type']
        const size = Buffer.byteLength(req.payload ?? '')
        if (type !== undefined && FORM_TYPES.has(type) && size > BODY_LIMIT)
          check(res.statusCode === 413, '413 for a body over 16 KiB', req, res)
        if (res.statusCode === 413) check(size > BODY_LIMIT, '413 only for a body over 16 KiB', req, res)
        if (type === undefined || NOT_FORM.has(type)) {
          // Not a form: only an empty body without a media type may get past the parser (then: no credentials).
          check(
            error === 'invalid_request' || (error === 'invalid_client' && size === 0),
            'invalid_request for a body that is not a form',
            req,
            res,
          )
        }
        if (res.statusCode === 200) {
          // No random code or refresh token is ever valid: only client_credentials can succeed here.
          const form = new URLSearchParams(req.payload)
          check(
            form.getAll('grant_type').length === 1 && form.get('grant_type') === 'client_credentials',
            '200 only for client_credentials',
            req,
            res,
          )
          check(
            res.json().refresh_token === undefined,
            'no refresh token for client_credentials (RFC 6749 §4.4.3)',
            req,
            res,
          )
        }
      }),
      runs(500),
    )
  })

  it('answers each well-formed request with exactly the RFC 6749 §5.2 error it deserves', async () => {
    await fc.assert(
      fc.asyncProperty(modelledRequest, async (r) => {
        const { req, fields } = buildModelled(r)
        const expected = expectedToken(r, req, fields)
        const res = await post(app, req)
        const { error } = checkEnvelope(req, res)
        if (expected.oversized) {
          check(res.statusCode === 413, '413 for a body over 16 KiB', req, res)
          return
        }
        if (expected.errors.size === 0) {
          check(res.statusCode === 200, '200: a valid client_credentials request', req, res)
          const granted = new Set(String(res.json().scope).split(' '))
          const wanted = new Set(expected.requestedScopes.length > 0 ? expected.requestedScopes : ['foo', 'bar'])
          check(
            granted.size === wanted.size && [...wanted].every((s) => granted.has(s)),
            `scope ${[...wanted].join(' ')}`,
            req,
            res,
          )
          check(
            res.json().refresh_token === undefined,
            'no refresh token for client_credentials (RFC 6749 §4.4.3)',
            req,
            res,
          )
          return
        }
        check(expected.errors.has(error ?? ''), `error among [${[...expected.errors].join(', ')}]`, req, res)
        if (error === 'invalid_client' && r.header.kind !== 'none')
          check(res.statusCode === 401, '401 after an Authorization header', req, res)
      }),
      runs(450),
    )
  })

  it('redeems a real code only when every parameter is exactly right, and only once', async () => {
    await fc.assert(
      fc.asyncProperty(redemption, async (m) => {
        const pkce = m.pkce || m.clientId === PUBLIC_ID ? pkcePair() : undefined
        const query: Record<string, string | undefined> = {
          response_type: 'code',
          client_id: m.clientId,
          redirect_uri: m.redirectSent ? REDIRECT_URI : undefined,
          scope: m.scope,
          state: m.state,
          code_challenge: pkce?.challenge,
          code_challenge_method: pkce ? 'S256' : undefined,
        }
        const authorize = await alice.get(
          `/authorize?${new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined))}`,
        )
        const location = new URL(String(authorize.headers.location))
        expect(authorize.statusCode).toBe(302)
        expect(location.searchParams.get('iss')).toBe(ISSUER)
        expect(location.searchParams.getAll('state')).toEqual(m.state === undefined ? [] : [m.state])
        const code = location.searchParams.get('code')
        if (code === null) throw new Error(`setup: no code in ${location.href}`)
        const req = redemptionRequest(m, code, pkce?.verifier ?? pkcePair().verifier)
        const expected = expectedRedemption(m, pkce !== undefined)
        const res = await post(app, req)
        const { error } = checkEnvelope(req, res)
        if (expected.size > 0) {
          check(expected.has(error ?? ''), `error among [${[...expected].join(', ')}]`, req, res)
          return
        }
        check(res.statusCode === 200, '200 for an exactly right redemption', req, res)
        const body = res.json()
        const granted = new Set(String(body.scope).split(' '))
        const wanted = new Set((m.scope ?? 'foo bar').split(' '))
        check(
          granted.size === wanted.size && [...wanted].every((s) => granted.has(s)),
          `scope ${[...wanted].join(' ')}`,
          req,
          res,
        )
        check(typeof body.refresh_token === 'string', 'a refresh token for the code grant', req, res)
        // RFC 6749 §4.1.2: one use only.
        const replay = await post(app, req)
        const replayed = checkEnvelope(req, replay)
        check(replayed.error === 'invalid_grant', 'invalid_grant when the same code is redeemed again', req, replay)
      }),
      runs(200),
    )
  })

  it('stays healthy: /healthz and a normal flow still work', async () => {
    await expectHealthz(app)
    // tokensFor fails unless the token request answers 200.
    expect(await tokensFor(app, config)).toMatchObject({ token_type: 'Bearer', scope: 'foo bar' })
  })
})
