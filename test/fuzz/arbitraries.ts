// Shared generators and checks for the property-based (fuzz) tests.
//
// Every property runs with a fixed seed so that CI is reproducible. To dig
// deeper locally: FUZZ_SEED=<n> FUZZ_SCALE=10 npx vitest run test/fuzz
// (FUZZ_SCALE multiplies every property's number of runs).

import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'

// ---- Run parameters ------------------------------------------------------------------

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101)
const SCALE = Number(process.env.FUZZ_SCALE ?? 1)

/** fast-check parameters: a fixed seed and `numRuns` runs (times FUZZ_SCALE). */
export function runs(numRuns: number): { readonly seed: number; readonly numRuns: number } {
  return { seed: SEED, numRuns: Math.max(1, Math.round(numRuns * SCALE)) }
}

// ---- The lab's built-in data (docs/contract.md) --------------------------------------

export const ISSUER = 'http://localhost:9001'
export const RESOURCE = 'http://localhost:9002'
/** RFC 8707: the registered resource servers, by default the built-in one and its MCP endpoint. */
export const REGISTERED_RESOURCES: ReadonlySet<string> = new Set([RESOURCE, `${RESOURCE}/mcp`])
export const REDIRECT_URI = 'http://localhost:3000/authenticated'
export const CONFIDENTIAL_ID = 'oauth-client-1'
export const CONFIDENTIAL_SECRET = 'oauth-client-secret-1'
export const PUBLIC_ID = 'oauth-client-public'
export const RESOURCE_CLIENT_ID = 'oauth-resource-1'
export const RESOURCE_CLIENT_SECRET = 'oauth-resource-secret-1'
export const SECRETS: Readonly<Record<string, string>> = {
  [CONFIDENTIAL_ID]: CONFIDENTIAL_SECRET,
  [RESOURCE_CLIENT_ID]: RESOURCE_CLIENT_SECRET,
}

/** RFC 6749 §4.1.2.1, plus OpenID Connect Core §3.1.2.6: the only `error` values of an authorization error response. */
export const AUTHORIZE_ERRORS = [
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  // RFC 8707 §2: a resource that is not a registered resource server.
  'invalid_target',
  'server_error',
  'temporarily_unavailable',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
] as const

/** RFC 6749 §5.2: the only `error` values of a token endpoint error response. */
export const TOKEN_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  // RFC 8707 §2: a resource that is not a registered resource server.
  'invalid_target',
] as const

/** RFC 6749 §4.1.2.1 / §5.2: error and error_description use %x20-21 / %x23-5B / %x5D-7E only. */
export const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** HTTP Basic as RFC 6749 §2.3.1 says: form-encode id and secret, then Base64. */
export function basicHeader(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`
}

// ---- Reporting -----------------------------------------------------------------------

export interface Exchange {
  readonly method: string
  readonly url: string
  readonly headers?: Record<string, string>
  readonly payload?: string
}

function clip(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text
}

/** The request and the response, for a counterexample that can be replayed by hand. */
export function describeExchange(req: Exchange, res: LightMyRequestResponse): string {
  const headers = Object.entries(res.headers)
    .filter(([name]) => ['location', 'content-type', 'cache-control', 'pragma', 'www-authenticate'].includes(name))
    .map(([name, value]) => `  ${name}: ${String(value)}`)
  return [
    `request: ${req.method} ${clip(req.url)}`,
    ...Object.entries(req.headers ?? {}).map(([name, value]) => `  ${name}: ${clip(JSON.stringify(value), 300)}`),
    ...(req.payload === undefined ? [] : [`  body: ${clip(JSON.stringify(req.payload))}`]),
    `response: ${res.statusCode}`,
    ...headers,
    `  body: ${clip(res.body, 400)}`,
  ].join('\n')
}

/** Throws with the whole exchange when `ok` is false, so fast-check reports a replayable case. */
export function check(ok: boolean, expected: string, req: Exchange, res: LightMyRequestResponse): void {
  if (!ok) throw new Error(`expected ${expected}\n${describeExchange(req, res)}`)
}

/** After the fuzzing, the server is still up: GET /healthz answers 200 {"status":"ok"}. */
export async function expectHealthz(app: FastifyInstance): Promise<void> {
  const health = await app.inject({ method: 'GET', url: '/healthz' })
  expect(health.statusCode).toBe(200)
  expect(health.json()).toEqual({ status: 'ok' })
}

// ---- Encoding ------------------------------------------------------------------------

const isLoneSurrogate = (ch: string) => ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff

/** encodeURIComponent that never throws: a lone surrogate becomes U+FFFD, as a browser sends it. */
export function uriEncode(text: string): string {
  return Array.from(text, (ch) => (isLoneSurrogate(ch) ? '%EF%BF%BD' : encodeURIComponent(ch))).join('')
}

/** application/x-www-form-urlencoded encoding of one name or value. */
export function formEncode(text: string): string {
  return uriEncode(text).replace(/%20/g, '+')
}

const TARGET_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]$/

/** Keeps a raw query as it is (percent garbage included) but escapes what cannot be sent on the request line. */
export function targetSafe(raw: string): string {
  return Array.from(raw, (ch) => (TARGET_SAFE.test(ch) ? ch : uriEncode(ch))).join('')
}

/** A text that is safe as an HTTP header value (visible ASCII and inner spaces/tabs only). */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e\t]/g, '').trim()
}

// ---- Query strings and form bodies ---------------------------------------------------

export type EncodeMode = 'uri' | 'form' | 'raw'

/** One `name=value` pair of a query or form body; `value: null` sends the name alone. */
export interface Param {
  readonly name: string
  readonly value: string | null
  readonly mode: EncodeMode
}

export function encodeParam({ name, value, mode }: Param): string {
  const enc = (text: string) => (mode === 'raw' ? text : mode === 'form' ? formEncode(text) : uriEncode(text))
  return value === null ? enc(name) : `${enc(name)}=${enc(value)}`
}

/** The raw query or form body: pairs joined by `&`, with stray separators where asked. */
export function joinParams(params: readonly Param[], separator = '&'): string {
  return params.map(encodeParam).join(separator)
}

export const encodeMode: fc.Arbitrary<EncodeMode> = fc.constantFrom<EncodeMode>('uri', 'uri', 'form', 'form', 'raw')
export const separator = fc.constantFrom('&', '&', '&', '&&', '&=&')

/** Object.prototype names: a server that stores parameters in a plain object trips over these. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'prototype',
] as const

const PERCENT_PIECES = [
  '%',
  '%%',
  '%2',
  '%zz',
  '%0',
  '%00',
  '%0A',
  '%0D%0A',
  '%C3',
  '%C3%28',
  '%ED%A0%80',
  '%FF',
  '%FE%FF',
  '%E2%82',
  '%F0%9F%98',
  '%u0041',
  '%%32%35',
  '%252F',
  '%2e%2e%2f',
  '+',
  '%2B',
  '&',
  '%26',
  '=',
  '%3D',
  '#',
  '%23',
  ';',
  '?',
  '/',
  '\\',
  '..',
  '"',
  "'",
  '<',
  '>',
  '\u0000',
  '\t',
  ' ',
  'é',
  '😀',
  '\u202e',
  '\ufeff',
  'a',
  'code',
  'S256',
]

/** Percent-encoding garbage: truncated escapes, invalid UTF-8, overlong sequences, separators. */
export const percentGarbage: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...PERCENT_PIECES), { minLength: 1, maxLength: 10 })
  .map((pieces) => pieces.join(''))

/** A large value, a few hundred to a few thousand characters, repeating a random chunk. */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
      fc.constantFrom('a', '%', 'é', '😀', '%zz', '+'),
    ),
    fc.integer({ min: 300, max: 6000 }),
  )
  .map(([chunk, length]) => {
    const chars = Array.from(chunk)
    return Array.from({ length }, (_, i) => chars[i % chars.length]).join('')
  })

/** Anything a hostile or broken client might put in a parameter value. */
export const junkText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 16 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 },
  { arbitrary: percentGarbage, weight: 3 },
  { arbitrary: fc.constant(''), weight: 2 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES), weight: 1 },
  { arbitrary: hugeText, weight: 1 },
)

/** Names a client never should send: junk, look-alikes of real names, Object.prototype names. */
export const junkName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.constantFrom(
    '',
    '=',
    'CLIENT_ID',
    'client_id ',
    'Client_Id',
    'client%5Fid',
    'client_id[]',
    'scope[0]',
    'a[b]',
    'x.y',
    'redirect_uri%00',
    'state\u0000',
    'nonce',
    'prompt',
    'response_mode',
    'request',
    'request_uri',
    'resource',
    'access_token',
    'foo',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
)

// ---- Authorization request values ----------------------------------------------------

export const clientIdValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(CONFIDENTIAL_ID, PUBLIC_ID), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      RESOURCE_CLIENT_ID,
      'OAUTH-CLIENT-1',
      'oauth-client-1 ',
      ' oauth-client-1',
      'oauth-client-2',
      'oauth-client-',
      'oauth-client-1\u0000',
      'oauth-client-1%00',
      'oauth%2Dclient%2D1',
      'alice',
      '',
    ),
    weight: 3,
  },
  { arbitrary: junkText, weight: 1 },
)

/** Look-alikes of the registered redirect URI: each one an open-redirect attempt if honoured. */
export const REDIRECT_LOOKALIKES = [
  'http://localhost:3000/authenticated/',
  'http://localhost:3000/authenticated?x=1',
  'http://localhost:3000/authenticated#frag',
  'http://localhost:3000/authenticated/../evil',
  'http://localhost:3000/authenticatedx',
  'http://localhost:3000/authenticated%2F..%2F..%2Fevil',
  'http://localhost:3000//evil.example/authenticated',
  'http://localhost:3000@evil.example/authenticated',
  'http://localhost:3000%40evil.example/authenticated',
  'http://localhost:3000\\@evil.example/authenticated',
  'http://evil.example/authenticated',
  'http://evil.example/?http://localhost:3000/authenticated',
  'http://evil.example#http://localhost:3000/authenticated',
  'https://localhost:3000/authenticated',
  'HTTP://LOCALHOST:3000/authenticated',
  'http://localhost:3000/Authenticated',
  'http://localhost:3000/authenticated ',
  ' http://localhost:3000/authenticated',
  'http://localhost:3000/authenticated\u0000',
  'http://localhost:3000/authenticated\n',
  'http://localhost:3000\t/authenticated',
  'http://localhost:3001/authenticated',
  'http://127.0.0.1:3000/authenticated',
  'http://[::1]:3000/authenticated',
  'http://localhost/authenticated',
  'http://localhost:3000',
  '//evil.example/authenticated',
  '/authenticated',
  'authenticated',
  'javascript:alert(1)//http://localhost:3000/authenticated',
  'data:text/html,<script>alert(1)</script>',
  'http://localhost:9001/authorize',
] as const

export const redirectUriValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(REDIRECT_URI), weight: 6 },
  { arbitrary: fc.constantFrom(...REDIRECT_LOOKALIKES), weight: 4 },
  { arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }), weight: 1 },
  { arbitrary: junkText, weight: 1 },
)

export const responseTypeValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('code'), weight: 6 },
  {
    arbitrary: fc.constantFrom('token', 'Code', 'CODE', 'code ', 'code id_token', 'id_token', 'none', 'code+token', ''),
    weight: 3,
  },
  { arbitrary: junkText, weight: 1 },
)

export const scopeValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('foo', 'bar', 'foo bar', 'bar foo', 'foo foo', ' foo', 'foo  bar'), weight: 5 },
  { arbitrary: fc.constantFrom('openid', 'openid foo', 'foo openid profile email', 'profile', 'email bar'), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '',
      'OPENID',
      'foo baz',
      'Foo',
      'foo,bar',
      'foo\tbar',
      'foo+bar',
      'constructor',
      '__proto__',
    ),
    weight: 3,
  },
  { arbitrary: junkText, weight: 1 },
)

/** A well-formed S256 challenge is 43 base64url characters. */
export const s256Challenge: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)

export const codeChallengeValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: s256Challenge, weight: 5 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,42}$/), weight: 1 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{44,128}$/), weight: 1 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9+/=]{43}$/), weight: 1 },
  { arbitrary: junkText, weight: 1 },
)

export const challengeMethodValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('S256'), weight: 5 },
  { arbitrary: fc.constantFrom('plain', 's256', 'S256 ', 'S512', 'SHA256', ''), weight: 2 },
  { arbitrary: junkText, weight: 1 },
)

export const stateValue: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  junkText,
)

/** OpenID Connect Core §3.1.2.1 prompt: space-separated none, login, consent, select_account. */
export const promptValue: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom('none', 'login', 'consent', 'select_account', 'login consent', 'consent login'),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom('none login', 'none none', 'NONE', 'Login', 'bogus', 'login,consent', ' login', ''),
    weight: 2,
  },
  { arbitrary: junkText, weight: 1 },
)

/** OpenID Connect Core §3.1.2.1 max_age: a non-negative number of seconds. */
export const maxAgeValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('0', '60', '3600', '86400', '007'), weight: 3 },
  { arbitrary: fc.constantFrom('-1', '1.5', '1e3', 'abc', '', ' 60', '60 ', '0x10'), weight: 2 },
  { arbitrary: junkText, weight: 1 },
)

const AUTHORIZE_VALUES: Readonly<Record<string, fc.Arbitrary<string>>> = {
  response_type: responseTypeValue,
  client_id: clientIdValue,
  redirect_uri: redirectUriValue,
  scope: scopeValue,
  state: stateValue,
  code_challenge: codeChallengeValue,
  code_challenge_method: challengeMethodValue,
  prompt: promptValue,
  max_age: maxAgeValue,
  nonce: stateValue,
}

function paramOf(name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<Param> {
  return fc.record({
    name,
    value: fc.oneof({ arbitrary: value, weight: 12 }, { arbitrary: fc.constant(null), weight: 1 }),
    mode: encodeMode,
  })
}

/** A parameter of an authorization request: a real name with a plausible or hostile value, or junk. */
export const authorizeParam: fc.Arbitrary<Param> = fc.oneof(
  ...Object.entries(AUTHORIZE_VALUES).map(([name, value]) => ({
    arbitrary: paramOf(fc.constant(name), value),
    weight: 1,
  })),
  // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
  {
    arbitrary: fc.record({
      name: fc.constantFrom(...Object.keys(AUTHORIZE_VALUES)),
      value: fc.constantFrom('', null),
      mode: encodeMode,
    }),
    weight: 2,
  },
  { arbitrary: paramOf(junkName, junkText), weight: 5 },
)

const AUTHORIZE_BASE: readonly { readonly name: string; readonly value: string }[] = [
  { name: 'response_type', value: 'code' },
  { name: 'redirect_uri', value: REDIRECT_URI },
  { name: 'scope', value: 'foo bar' },
  { name: 'state', value: 'st-123' },
  { name: 'code_challenge_method', value: 'S256' },
]

/** Mostly a few extra parameters (so that many requests stay otherwise valid), sometimes many. */
function extras(param: fc.Arbitrary<Param>): fc.Arbitrary<Param[]> {
  return fc.oneof(
    { arbitrary: fc.array(param, { maxLength: 2 }), weight: 3 },
    { arbitrary: fc.array(param, { minLength: 3, maxLength: 10 }), weight: 1 },
  )
}

/**
 * A whole raw authorization query: most of a valid request (in a random
 * order), plus random extra, repeated or hostile parameters.
 */
export const authorizeQuery: fc.Arbitrary<string> = fc
  .record({
    keep: fc.array(fc.constantFrom(true, true, true, true, true, false), {
      minLength: AUTHORIZE_BASE.length,
      maxLength: AUTHORIZE_BASE.length,
    }),
    order: fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6], { minLength: 7 }),
    clientId: fc.option(fc.constantFrom(CONFIDENTIAL_ID, PUBLIC_ID), { nil: undefined, freq: 8 }),
    challenge: fc.option(s256Challenge, { nil: undefined, freq: 3 }),
    extra: extras(authorizeParam),
    extraFirst: fc.boolean(),
    mode: encodeMode,
    sep: separator,
    leading: fc.constantFrom('', '', '', '&', '?'),
  })
  .map(({ keep, order, clientId, challenge, extra, extraFirst, mode, sep, leading }) => {
    const slots: (Param | undefined)[] = [
      ...AUTHORIZE_BASE.map((p, i) => (keep[i] ? { ...p, mode } : undefined)),
      clientId === undefined ? undefined : { name: 'client_id', value: clientId, mode },
      challenge === undefined ? undefined : { name: 'code_challenge', value: challenge, mode },
    ]
    const base = order.map((i) => slots[i]).filter((p): p is Param => p !== undefined)
    const params = extraFirst ? [...extra, ...base] : [...base, ...extra]
    return leading + joinParams(params, sep)
  })

// ---- Back-channel requests (token, introspection, revocation) ------------------------

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded'

/** Media types that are certainly not a form (a variant such as upper case may or may not be read as one). */
export const NOT_FORM_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/html',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'garbage',
  ';',
  '',
] as const

/** Content types: the right one, its variants, other media types, garbage, or none at all. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constantFrom(FORM_CONTENT_TYPE, `${FORM_CONTENT_TYPE}; charset=utf-8`), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'APPLICATION/X-WWW-FORM-URLENCODED',
      `${FORM_CONTENT_TYPE};charset=latin1`,
      `${FORM_CONTENT_TYPE}, application/json`,
      `${FORM_CONTENT_TYPE}x`,
      ...NOT_FORM_TYPES,
    ),
    weight: 4,
  },
)

/** Well-formed and malformed `Authorization` header values (undefined: no header). */
export const authorizationHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constant(basicHeader(CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)), weight: 3 },
  { arbitrary: fc.constant(basicHeader(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET)), weight: 1 },
  {
    arbitrary: fc
      .tuple(clientIdValue, fc.oneof(fc.constantFrom(CONFIDENTIAL_SECRET, RESOURCE_CLIENT_SECRET, ''), junkText))
      .map(([id, secret]) => basicHeader(id, secret)),
    weight: 3,
  },
  {
    arbitrary: fc.constantFrom(
      'Basic',
      'Basic ',
      'Basic !!!',
      'Basic ====',
      'basic ' + Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64'),
      'BASIC ' + Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64'),
      'Basic  ' + Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64'),
      'Basic ' + Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64url'),
      'Basic ' + Buffer.from('oauth-client-1').toString('base64'),
      'Basic ' + Buffer.from(':oauth-client-secret-1').toString('base64'),
      'Basic ' + Buffer.from('%E0%A4%A:x').toString('base64'),
      'Basic ' + Buffer.from('oauth-client-1:%zz').toString('base64'),
      'Bearer abc.def.ghi',
      'Digest username="oauth-client-1"',
      'Negotiate YII=',
      '',
    ),
    weight: 2,
  },
  {
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`),
    weight: 2,
  },
  { arbitrary: fc.string({ maxLength: 40 }).map(headerSafe), weight: 1 },
)

/** Parameters of the token, introspection and revocation endpoints. */
export const BACK_CHANNEL_NAMES = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'scope',
  'client_id',
  'client_secret',
  'token',
  'token_type_hint',
] as const

export const grantTypeValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('authorization_code', 'refresh_token', 'client_credentials'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'password',
      'implicit',
      'AUTHORIZATION_CODE',
      'client_credentials ',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      '',
    ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES), weight: 1 },
  { arbitrary: junkText, weight: 1 },
)

/** JWT-shaped garbage: three base64url segments of random JSON or bytes. */
export const jwtLookingGarbage: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.constantFrom(
        '{"alg":"none"}',
        '{"alg":"ES256","typ":"at+jwt"}',
        '{"alg":"HS256","typ":"at+jwt"}',
        '{}',
        '{"alg":"ES256","crit":["exp"]}',
      ),
    ),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.constant(
        '{"iss":"http://localhost:9001","aud":"http://localhost:9002","sub":"alice","scope":"foo","exp":9999999999}',
      ),
    ),
    fc.oneof(
      fc.uint8Array({ maxLength: 72 }).map((b) => Buffer.from(b).toString('base64url')),
      fc.constant(''),
    ),
  )
  .map(([header, payload, signature]) =>
    [Buffer.from(header).toString('base64url'), Buffer.from(payload).toString('base64url'), signature].join('.'),
  )

/** Random presented tokens: junk, opaque random strings, JWT-shaped garbage, huge values. */
export const randomToken: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{20,64}$/), weight: 3 },
  { arbitrary: jwtLookingGarbage, weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), weight: 2 },
  { arbitrary: percentGarbage, weight: 1 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES), weight: 1 },
  { arbitrary: hugeText.map((t) => t.slice(0, 3000)), weight: 1 },
)

export const tokenTypeHintValue: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('access_token', 'refresh_token', 'id_token', 'ACCESS_TOKEN', '', 'constructor', '__proto__'),
  junkText,
)

/** Random back-channel form parameters, repeats and junk names included. */
export const backChannelParam: fc.Arbitrary<Param> = fc.oneof(
  { arbitrary: paramOf(fc.constant('grant_type'), grantTypeValue), weight: 3 },
  { arbitrary: paramOf(fc.constant('client_id'), clientIdValue), weight: 2 },
  {
    arbitrary: paramOf(
      fc.constant('client_secret'),
      fc.oneof(fc.constantFrom(CONFIDENTIAL_SECRET, RESOURCE_CLIENT_SECRET), junkText),
    ),
    weight: 2,
  },
  { arbitrary: paramOf(fc.constantFrom('code', 'refresh_token', 'token'), randomToken), weight: 3 },
  {
    arbitrary: paramOf(fc.constant('token_type_hint'), fc.constantFrom('access_token', 'refresh_token', 'x')),
    weight: 1,
  },
  { arbitrary: paramOf(fc.constant('scope'), scopeValue), weight: 2 },
  { arbitrary: paramOf(fc.constant('redirect_uri'), redirectUriValue), weight: 1 },
  {
    arbitrary: paramOf(
      fc.constant('code_verifier'),
      fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/), junkText),
    ),
    weight: 1,
  },
  { arbitrary: paramOf(junkName, junkText), weight: 2 },
)

/** A chaotic back-channel body: a form (repeats and garbage allowed), JSON, random text, or oversized. */
export const chaoticBody: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.tuple(fc.array(backChannelParam, { maxLength: 10 }), separator).map(([p, s]) => joinParams(p, s)),
    weight: 8,
  },
  {
    arbitrary: fc
      .dictionary(fc.constantFrom(...BACK_CHANNEL_NAMES), fc.jsonValue({ maxDepth: 1 }))
      .map((o) => JSON.stringify(o)),
    weight: 1,
  },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }), weight: 1 },
  { arbitrary: fc.constant(''), weight: 1 },
  {
    // Over the 16 KiB back-channel limit (and sometimes over the 64 KiB server limit).
    arbitrary: fc
      .integer({ min: 16 * 1024 + 1, max: 80 * 1024 })
      .map((n) => `grant_type=client_credentials&x=${'a'.repeat(n)}`),
    weight: 1,
  },
)

/** A query string for a back-channel URL: usually none, sometimes credentials where they must not be. */
export const backChannelQuery: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(''), weight: 6 },
  {
    arbitrary: fc.array(backChannelParam, { minLength: 1, maxLength: 3 }).map((p) => `?${targetSafe(joinParams(p))}`),
    weight: 1,
  },
)
