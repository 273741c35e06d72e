// Property-based tests of POST /introspect (RFC 7662) and POST /revoke (RFC 7009):
// never a 5xx, a random token is just inactive (introspection) or silently
// accepted (revocation), and bad credentials are always 401 invalid_client.

import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { SignJWT, generateKeyPair, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LabConfig } from '../../src/shared/config.js'
import { testAuthServer } from '../helpers/auth-server.js'
import { confidential, introspect, postForm, revoke, tokensFor } from '../helpers/back-channel.js'
import { at } from '../helpers/lists.js'
import {
  CONFIDENTIAL_ID,
  CONFIDENTIAL_SECRET,
  FORM_CONTENT_TYPE,
  ISSUER,
  PUBLIC_ID,
  RESOURCE,
  RESOURCE_CLIENT_ID,
  RESOURCE_CLIENT_SECRET,
  TOKEN_ERRORS,
  authorizationHeader,
  backChannelQuery,
  basicHeader,
  chaoticBody,
  check,
  expectHealthz,
  contentType,
  formEncode,
  junkName,
  junkText,
  randomToken,
  runs,
  tokenTypeHintValue,
  type Exchange,
} from './arbitraries.js'
import { checkErrorBody, checkStatusAndNoStore, jsonBody, post } from './envelope.js'

const ENDPOINTS = ['/introspect', '/revoke'] as const
const BODY_LIMIT = 16 * 1024
const MAX_PARAM_LENGTH = 4096
/** RFC 7009 §2.2.1 adds unsupported_token_type to RFC 6749 §5.2's list. */
const ERRORS: readonly string[] = [...TOKEN_ERRORS, 'unsupported_token_type']

let app: FastifyInstance
let config: LabConfig
/** A real access token of oauth-client-1, to tamper with. */
let realToken: string
/** A key the authorization server does not know, for tokens that look right but are not its own. */
let foreignKey: CryptoKey

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
  foreignKey = (await generateKeyPair('ES256')).privateKey
  const res = await postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)
  realToken = res.json().access_token
  if (typeof realToken !== 'string') throw new Error(`setup: no access token (${res.body})`)
})

afterAll(async () => {
  await app?.close()
})

/** What every answer must be: never 5xx, no-store, RFC 6749 §5.2 JSON errors, 401 exactly for invalid_client. */
function checkEnvelope(req: Exchange, res: LightMyRequestResponse): { error?: string } {
  checkStatusAndNoStore(req, res)
  if (res.statusCode === 200) return {}
  check(String(res.headers['content-type'] ?? '').startsWith('application/json'), 'a JSON error', req, res)
  const body = jsonBody(req, res)
  const error = checkErrorBody(req, res, body, ERRORS)
  check(body.active === undefined, 'no "active" member in an error', req, res)
  return { error }
}

const isInactive = (res: LightMyRequestResponse) =>
  String(res.headers['content-type'] ?? '').startsWith('application/json') && res.body === '{"active":false}'

// ---- Callers and tokens --------------------------------------------------------------

interface Caller {
  readonly headers: Record<string, string>
  readonly form: Record<string, string>
}
const viaBasic = (id: string, secret: string): Caller => ({
  headers: { authorization: basicHeader(id, secret) },
  form: {},
})
const viaBody = (id: string, secret?: string): Caller => ({
  headers: {},
  form: secret === undefined ? { client_id: id } : { client_id: id, client_secret: secret },
})

/** RFC 7662 §2.1: the resource server may introspect any token, a client its own. */
const introspectors = fc.constantFrom(
  viaBasic(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET),
  viaBody(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET),
  viaBasic(CONFIDENTIAL_ID, CONFIDENTIAL_SECRET),
  viaBody(CONFIDENTIAL_ID, CONFIDENTIAL_SECRET),
)

/** RFC 7009 §2.1: the confidential client authenticates; the public one identifies itself. */
const revokers = fc.constantFrom(
  viaBasic(CONFIDENTIAL_ID, CONFIDENTIAL_SECRET),
  viaBody(CONFIDENTIAL_ID, CONFIDENTIAL_SECRET),
  viaBody(PUBLIC_ID),
)

const wrongSecret = fc.oneof(
  fc.constantFrom('wrong', 'oauth-client-secret-2', `${CONFIDENTIAL_SECRET} `, RESOURCE_CLIENT_SECRET.toUpperCase()),
  junkText.map((t) => t.slice(0, 200)),
)
const unknownId = fc.oneof(
  fc.constantFrom('unknown-client', 'OAUTH-CLIENT-1', 'oauth-resource-2', 'alice'),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/),
)

/** Credentials that must fail: 401 invalid_client on both endpoints. */
const badCallers: fc.Arbitrary<Caller> = fc.oneof(
  fc.constant<Caller>({ headers: {}, form: {} }),
  wrongSecret.filter((s) => s !== CONFIDENTIAL_SECRET).map((s) => viaBasic(CONFIDENTIAL_ID, s)),
  wrongSecret.filter((s) => s !== RESOURCE_CLIENT_SECRET).map((s) => viaBasic(RESOURCE_CLIENT_ID, s)),
  wrongSecret.filter((s) => s !== '' && s !== CONFIDENTIAL_SECRET).map((s) => viaBody(CONFIDENTIAL_ID, s)),
  wrongSecret.filter((s) => s !== '' && s !== RESOURCE_CLIENT_SECRET).map((s) => viaBody(RESOURCE_CLIENT_ID, s)),
  fc.tuple(unknownId, fc.oneof(wrongSecret, fc.constant(CONFIDENTIAL_SECRET))).map(([id, s]) => viaBasic(id, s)),
  fc.tuple(unknownId, fc.constantFrom('x', CONFIDENTIAL_SECRET)).map(([id, s]) => viaBody(id, s)),
  // The public client has no secret: presenting one is a failed authentication.
  fc.oneof(wrongSecret, fc.constant(CONFIDENTIAL_SECRET)).map((s) => viaBasic(PUBLIC_ID, s)),
  fc
    .constantFrom(
      'Basic',
      'Basic !!!',
      `Basic ${Buffer.from(CONFIDENTIAL_ID).toString('base64')}`,
      `Basic ${Buffer.from(`:${CONFIDENTIAL_SECRET}`).toString('base64')}`,
      'Bearer abc.def.ghi',
    )
    .map((authorization): Caller => ({ headers: { authorization }, form: {} })),
  // A confidential client (or an unknown one) that does not authenticate at all.
  fc.constantFrom(CONFIDENTIAL_ID, RESOURCE_CLIENT_ID, 'unknown-client').map((id) => viaBody(id)),
)

type TokenChoice =
  | { readonly kind: 'random'; readonly token: string }
  | { readonly kind: 'tampered'; readonly position: number; readonly char: string }
  | { readonly kind: 'foreign'; readonly claims: Record<string, unknown> }

/** Random tokens, a real token with one character changed, and tokens signed by a key the server does not know. */
const tokenChoice: fc.Arbitrary<TokenChoice> = fc.oneof(
  { arbitrary: randomToken.map((token) => ({ kind: 'random' as const, token })), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('tampered' as const),
      position: fc.nat(),
      char: fc.constantFrom('A', 'b', '0', '_', '-', '.', '='),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('foreign' as const),
      claims: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
    }),
    weight: 2,
  },
)

/** The token as sent; never a valid token of the server's. */
async function materialize(choice: TokenChoice): Promise<string> {
  if (choice.kind === 'random') return choice.token
  if (choice.kind === 'tampered') {
    // Not the last character of a segment: its spare bits may not change the decoded bytes.
    const positions = [...realToken]
      .map((_, i) => i)
      .filter((i) => realToken[i] !== '.' && realToken[i + 1] !== '.' && i !== realToken.length - 1)
    const i = at(positions, choice.position % positions.length, 'a position to tamper with')
    const char = realToken[i] === choice.char ? (choice.char === 'A' ? 'B' : 'A') : choice.char
    return realToken.slice(0, i) + char + realToken.slice(i + 1)
  }
  const now = Math.floor(Date.now() / 1000)
  const kid = app.oauthLab.keys.kid
  return new SignJWT({
    ...choice.claims,
    iss: ISSUER,
    aud: RESOURCE,
    sub: 'alice',
    client_id: CONFIDENTIAL_ID,
    scope: 'foo',
    jti: randomUUID(),
    iat: now,
    exp: now + 600,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .sign(foreignKey)
}

function form(endpoint: string, caller: Caller, fields: Record<string, string | undefined>): Exchange {
  const entries = Object.entries({ ...caller.form, ...fields }).filter((e): e is [string, string] => e[1] !== undefined)
  return {
    method: 'POST',
    url: endpoint,
    headers: { 'content-type': FORM_CONTENT_TYPE, ...caller.headers },
    payload: entries.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&'),
  }
}

/** The request is too big (413) or has an over-long value (400 invalid_request) before the token is even looked at. */
function sizeVerdict(req: Exchange): 'oversized' | 'too-long' | undefined {
  if (Buffer.byteLength(req.payload ?? '') > BODY_LIMIT) return 'oversized'
  const values = [...new URLSearchParams(req.payload).values()]
  if (values.some((value) => Array.from(value).length > MAX_PARAM_LENGTH)) return 'too-long'
  return undefined
}

const extraParams = fc.uniqueArray(fc.record({ name: junkName, value: junkText }), {
  maxLength: 2,
  selector: (p) => p.name,
})
const withoutReserved = (extra: readonly { name: string; value: string }[]) =>
  Object.fromEntries(
    extra
      .filter((p) => !['token', 'token_type_hint', 'client_id', 'client_secret'].includes(p.name))
      .map((p) => [p.name, p.value]),
  )

// ---- The properties ------------------------------------------------------------------

describe('POST /introspect and POST /revoke, fuzzed', () => {
  it('answer any request without a 5xx, with no-store and RFC 6749 §5.2 JSON errors', async () => {
    const request = fc.record({
      endpoint: fc.constantFrom(...ENDPOINTS),
      query: backChannelQuery,
      contentType,
      authorization: authorizationHeader,
      body: chaoticBody,
    })
    await fc.assert(
      fc.asyncProperty(request, async ({ endpoint, query, contentType: type, authorization, body }) => {
        const headers: Record<string, string> = {}
        if (type !== undefined) headers['content-type'] = type
        if (authorization !== undefined) headers.authorization = authorization
        const req: Exchange = { method: 'POST', url: `${endpoint}${query}`, headers, payload: body }
        const res = await post(app, req)
        checkEnvelope(req, res)
        if (res.statusCode === 200 && endpoint === '/introspect')
          check(isInactive(res), 'exactly {"active":false} for a random token', req, res)
        if (res.statusCode === 200 && endpoint === '/revoke') check(res.body === '', 'an empty 200', req, res)
      }),
      runs(350),
    )
  })

  it('/introspect: a random token with valid credentials is exactly {"active":false}', async () => {
    await fc.assert(
      fc.asyncProperty(
        introspectors,
        tokenChoice,
        tokenTypeHintValue,
        extraParams,
        async (caller, choice, hint, extra) => {
          const token = await materialize(choice)
          const req = form('/introspect', caller, { ...withoutReserved(extra), token, token_type_hint: hint })
          const res = await post(app, req)
          checkEnvelope(req, res)
          const size = sizeVerdict(req)
          if (size === 'oversized') return check(res.statusCode === 413, '413 for a body over 16 KiB', req, res)
          if (size === 'too-long')
            return check(
              res.statusCode === 400 && res.json().error === 'invalid_request',
              '400 invalid_request',
              req,
              res,
            )
          // RFC 7662 §2.2: unknown, invalid or foreign tokens are inactive, with no reason given.
          check(res.statusCode === 200 && isInactive(res), '200 {"active":false}', req, res)
        },
      ),
      runs(300),
    )
  })

  it('/revoke: a random token with valid client credentials is an empty 200', async () => {
    await fc.assert(
      fc.asyncProperty(revokers, tokenChoice, tokenTypeHintValue, extraParams, async (caller, choice, hint, extra) => {
        const token = await materialize(choice)
        const req = form('/revoke', caller, { ...withoutReserved(extra), token, token_type_hint: hint })
        const res = await post(app, req)
        checkEnvelope(req, res)
        const size = sizeVerdict(req)
        if (size === 'oversized') return check(res.statusCode === 413, '413 for a body over 16 KiB', req, res)
        if (size === 'too-long')
          return check(
            res.statusCode === 400 && res.json().error === 'invalid_request',
            '400 invalid_request',
            req,
            res,
          )
        // RFC 7009 §2.2: an invalid token is not an error; a bad hint is ignored.
        check(res.statusCode === 200 && res.body === '', 'an empty 200', req, res)
      }),
      runs(300),
    )
  })

  it('bad client credentials are always 401 invalid_client, on both endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), badCallers, randomToken, async (endpoint, caller, token) => {
        const req = form(endpoint, caller, { token: token.slice(0, 1000) })
        const res = await post(app, req)
        const { error } = checkEnvelope(req, res)
        check(res.statusCode === 401 && error === 'invalid_client', '401 invalid_client', req, res)
      }),
      runs(300),
    )
  })

  it('/introspect refuses the public client and /revoke the introspection-only client', async () => {
    await fc.assert(
      fc.asyncProperty(randomToken, fc.boolean(), async (token, basicAuth) => {
        const asPublic = form('/introspect', viaBody(PUBLIC_ID), { token: token.slice(0, 1000) })
        const publicRes = await post(app, asPublic)
        check(
          publicRes.statusCode === 401 && checkEnvelope(asPublic, publicRes).error === 'invalid_client',
          '401 invalid_client for the public client',
          asPublic,
          publicRes,
        )
        const caller = basicAuth
          ? viaBasic(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET)
          : viaBody(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET)
        const asResource = form('/revoke', caller, { token: token.slice(0, 1000) })
        const resourceRes = await post(app, asResource)
        const { error } = checkEnvelope(asResource, resourceRes)
        check(
          error === 'unauthorized_client' || error === 'invalid_client',
          'the resource server may not revoke',
          asResource,
          resourceRes,
        )
      }),
      runs(50),
    )
  })

  it('stays healthy: /healthz, and a real token is active until revoked', async () => {
    await expectHealthz(app)
    // tokensFor fails unless the token request answers 200.
    const { access_token: accessToken } = await tokensFor(app, config)
    const before = await introspect(app, accessToken)
    expect(before.json()).toMatchObject({ active: true, sub: 'alice', client_id: CONFIDENTIAL_ID, scope: 'foo bar' })
    const revoked = await revoke(app, accessToken)
    expect(revoked.statusCode).toBe(200)
    const after = await introspect(app, accessToken)
    expect(after.json()).toEqual({ active: false })
  })
})
