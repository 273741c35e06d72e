// Property-based tests of GET /authorize (RFC 6749 §3.1, §4.1.1, §4.1.2.1, RFC 7636, RFC 9207, RFC 9700 §4.1):
// thousands of malformed authorization requests, each checked against a model of
// the exact answer the contract allows, and never an open redirect.

import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LabConfig } from '../../src/shared/config.js'
import { obtainCode, pkcePair, testAuthServer } from '../helpers/auth-server.js'
import { redeemCode } from '../helpers/back-channel.js'
import { injectBrowser, type InjectBrowser } from '../helpers/inject-browser.js'
import {
  AUTHORIZE_ERRORS,
  REGISTERED_RESOURCES,
  CONFIDENTIAL_ID,
  ERROR_TEXT,
  ISSUER,
  PUBLIC_ID,
  REDIRECT_URI,
  authorizeParam,
  authorizeQuery,
  check,
  expectHealthz,
  clientIdValue,
  encodeMode,
  joinParams,
  redirectUriValue,
  runs,
  targetSafe,
  type Exchange,
  type Param,
} from './arbitraries.js'

const PATHS = ['/authorize', '/site/oauth2/authorize'] as const
const MAX_PARAM_LENGTH = 2048
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/
/** foo and bar (docs/contract.md), and the OpenID Connect scopes every client may ask for. */
const KNOWN_SCOPES = new Set(['foo', 'bar', 'openid', 'profile', 'email'])
/** OpenID Connect Core §3.1.2.1. */
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])
/** Multiple Response Type Encoding Practices §2.1, Form Post Response Mode §2. */
const RESPONSE_MODES = new Set(['query', 'fragment', 'form_post'])
/** The remembered decision of alice for oauth-client-1. */
const REMEMBERED = new Set(['foo', 'bar'])

let app: FastifyInstance
let config: LabConfig
/** Alice, signed in, with a remembered decision for oauth-client-1 (foo bar) and none for the public client. */
let alice: InjectBrowser

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
  alice = injectBrowser(app)
  const { params } = await obtainCode(app, config, { browser: alice, remember: true })
  if (!params.get('code')) throw new Error('setup: alice could not sign in')
})

afterAll(async () => {
  await app?.close()
})

// ---- The model -----------------------------------------------------------------------

type StateRule =
  | { readonly kind: 'absent' }
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'oneOf'; readonly values: readonly string[] }

interface Expected {
  /** page: 400 HTML, never a redirect. error: a redirect with one of `errors`. ok: a valid request. */
  readonly verdict: 'page' | 'error' | 'ok'
  readonly errors: ReadonlySet<string>
  readonly clientId?: string
  /** For a valid request: the scopes it asks for (or the default) and its OpenID Connect prompt values. */
  readonly scopes: readonly string[]
  readonly prompt: readonly string[]
  readonly state: StateRule
  /** How a response goes back: the one response_mode sent if known, else query (errors about it included). */
  readonly responseMode: string
  /** A value over the schema's bound: the server may answer a 400 page before anything else. */
  readonly mayBeBadRequest: boolean
}

/**
 * What RFC 6749 and docs/contract.md allow for this request, decoded as the server
 * sees it (WHATWG URL, application/x-www-form-urlencoded). Where a request breaks
 * several rules at once, any of their errors is allowed.
 */
function expectedFor(url: string): Expected {
  const target = new URL(url, ISSUER)
  // As the server reads it: URLSearchParams over the raw query (which also drops one leading "?").
  const entries = [...new URLSearchParams(target.search.slice(1))]
  const all = (name: string) => entries.filter(([key]) => key === name).map(([, value]) => value)
  // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
  const first = (name: string) => (all(name)[0] === '' ? undefined : all(name)[0])
  const counts = new Map<string, number>()
  for (const [key] of entries) counts.set(key, (counts.get(key) ?? 0) + 1)
  const mayBeBadRequest =
    target.search
      .slice(1)
      .split('&')
      .some((part) => part.length > MAX_PARAM_LENGTH) || [...counts.values()].some((n) => n > 10)

  const states = all('state')
  const [only, ...more] = states
  const state: StateRule =
    only === undefined || (more.length === 0 && only === '')
      ? { kind: 'absent' }
      : more.length === 0
        ? { kind: 'exact', value: only }
        : { kind: 'oneOf', values: states }
  const none = new Set<string>()
  const modes = all('response_mode')
  const responseMode = modes.length === 1 && RESPONSE_MODES.has(modes[0]!) ? modes[0]! : 'query'
  const page = { verdict: 'page', errors: none, scopes: [], prompt: [], state, responseMode, mayBeBadRequest } as const

  // RFC 6749 §4.1.2.1: an unknown client or a redirect URI that is not exactly registered: never redirect.
  const ids = all('client_id')
  const redirects = all('redirect_uri')
  const clientId = ids.length === 1 ? ids[0] : undefined
  if (clientId !== CONFIDENTIAL_ID && clientId !== PUBLIC_ID) return page
  if (redirects.length > 1 || (redirects.length === 1 && redirects[0] !== '' && redirects[0] !== REDIRECT_URI)) {
    return page
  }

  const errors = new Set<string>()
  // RFC 6749 §3.1: request parameters MUST NOT be included more than once; but resource may (RFC 8707 §2.1).
  if ([...counts.entries()].some(([name, n]) => n > 1 && name !== 'resource')) errors.add('invalid_request')
  // RFC 8707 §2: each resource (an empty one is absent) must be a registered resource server.
  if (all('resource').some((r) => r !== '' && !REGISTERED_RESOURCES.has(r))) errors.add('invalid_target')
  // RFC 6749 §4.1.1, §3.1.1: response_type is required, and only `code` is supported.
  // An unknown response_mode is invalid_request, sent back in query mode.
  const mode = first('response_mode')
  if (mode !== undefined && !RESPONSE_MODES.has(mode)) errors.add('invalid_request')
  const responseType = first('response_type')
  if (responseType === undefined) errors.add('invalid_request')
  else if (responseType !== 'code') errors.add('unsupported_response_type')
  // RFC 6749 §3.3: every scope token must be known and allowed for the client (both have foo and bar).
  const requested = (first('scope') ?? '').split(' ').filter(Boolean)
  if (requested.some((s) => !KNOWN_SCOPES.has(s))) errors.add('invalid_scope')
  const scopes = requested.length > 0 ? requested : ['foo', 'bar']
  // OpenID Connect Core §3.1.2.1: redirect_uri is required in an OpenID request; prompt and max_age are checked.
  if (scopes.includes('openid') && first('redirect_uri') === undefined) errors.add('invalid_request')
  const prompt = (first('prompt') ?? '').split(' ').filter(Boolean)
  if (prompt.some((p) => !PROMPTS.has(p)) || (prompt.includes('none') && prompt.length > 1))
    errors.add('invalid_request')
  const maxAge = first('max_age')
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) errors.add('invalid_request')
  // RFC 7636 §4.3/§4.4.1, RFC 9700 §2.1.1: S256 only, required for the public client.
  const challenge = first('code_challenge')
  const method = first('code_challenge_method')
  if (challenge === undefined) {
    if (method !== undefined) errors.add('invalid_request')
    if (clientId === PUBLIC_ID) errors.add('invalid_request')
  } else {
    if (method !== 'S256') errors.add('invalid_request')
    if (!S256_CHALLENGE.test(challenge)) errors.add('invalid_request')
  }
  const verdict = errors.size > 0 ? 'error' : 'ok'
  return { verdict, errors, clientId, scopes, prompt, state, responseMode, mayBeBadRequest }
}

// ---- Checking an answer --------------------------------------------------------------

const isHtml = (res: LightMyRequestResponse) => String(res.headers['content-type'] ?? '').startsWith('text/html')

/** A redirect back to the client: exactly the registered URI, `iss`, and either a code or an allowed error. */
function checkRedirect(
  req: Exchange,
  res: LightMyRequestResponse,
  expected: Expected,
  outcome: 'code' | 'error',
  errors: ReadonlySet<string> = expected.errors,
): void {
  if (expected.responseMode !== 'query') return checkOtherMode(req, res, expected.responseMode, outcome, errors)
  const location = res.headers.location
  check(res.statusCode === 302, `302 redirect (${outcome})`, req, res)
  check(
    typeof location === 'string' && location.startsWith(`${REDIRECT_URI}?`),
    `Location starting with ${REDIRECT_URI}?`,
    req,
    res,
  )
  const target = new URL(location as string)
  check(
    target.origin === 'http://localhost:3000' &&
      target.pathname === '/authenticated' &&
      target.hash === '' &&
      target.username === '',
    'Location on the registered redirect URI only (no open redirect)',
    req,
    res,
  )
  const q = target.searchParams
  check(q.getAll('iss').length === 1 && q.get('iss') === ISSUER, `exactly one iss=${ISSUER} (RFC 9207)`, req, res)
  if (outcome === 'code') {
    check(q.getAll('code').length === 1 && q.getAll('error').length === 0, 'one code and no error', req, res)
    check(/^[A-Za-z0-9_-]{27,}$/.test(q.get('code')!), 'a code of at least 160 random bits (RFC 6749 §10.10)', req, res)
  } else {
    const error = q.get('error') ?? ''
    check(q.getAll('error').length === 1 && q.getAll('code').length === 0, 'one error and no code', req, res)
    check((AUTHORIZE_ERRORS as readonly string[]).includes(error), 'an RFC 6749 §4.1.2.1 error code', req, res)
    check(errors.has(error), `error among [${[...errors].join(', ')}]`, req, res)
    check(
      ERROR_TEXT.test(q.get('error_description') ?? ''),
      'error_description limited to %x20-21 / %x23-5B / %x5D-7E',
      req,
      res,
    )
  }
  // RFC 6749 §4.1.2 / §4.1.2.1: state exactly as the client sent it.
  const states = q.getAll('state')
  const rule = expected.state
  if (rule.kind === 'absent') check(states.length === 0, 'no state (none was sent)', req, res)
  else if (rule.kind === 'exact')
    check(states.length === 1 && states[0] === rule.value, `state=${JSON.stringify(rule.value)} exactly`, req, res)
  else check(states.length <= 1 && states.every((s) => rule.values.includes(s)), 'state among those sent', req, res)
}

/** A response in fragment or form_post mode: on the registered URI only, with a code or an allowed error. */
function checkOtherMode(
  req: Exchange,
  res: LightMyRequestResponse,
  mode: string,
  outcome: 'code' | 'error',
  errors: ReadonlySet<string>,
): void {
  let params: URLSearchParams
  if (mode === 'fragment') {
    const location = String(res.headers.location)
    check(res.statusCode === 302 && location.startsWith(`${REDIRECT_URI}#`), `302 to ${REDIRECT_URI}#…`, req, res)
    params = new URLSearchParams(location.slice(REDIRECT_URI.length + 1))
  } else {
    check(res.statusCode === 200 && isHtml(res) && res.headers.location === undefined, 'a form_post page', req, res)
    check(res.body.includes(`action="${REDIRECT_URI}"`), `a form posting to ${REDIRECT_URI}`, req, res)
    const fields = [...res.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
    params = new URLSearchParams(fields.map((m) => [m[1]!, m[2]!]))
  }
  check(params.get('iss') === ISSUER, `iss=${ISSUER} (RFC 9207)`, req, res)
  if (outcome === 'code') check(params.has('code') && !params.has('error'), 'a code and no error', req, res)
  else
    check(
      errors.has(params.get('error') ?? '') && !params.has('code'),
      `error among [${[...errors].join(', ')}]`,
      req,
      res,
    )
}

function checkAnswer(req: Exchange, res: LightMyRequestResponse, expected: Expected, signedIn: boolean): void {
  check(res.statusCode < 500, 'no 5xx', req, res)
  if (res.headers.location !== undefined) {
    check(
      [`${REDIRECT_URI}?`, `${REDIRECT_URI}#`].some((start) => String(res.headers.location).startsWith(start)),
      `no redirect anywhere but ${REDIRECT_URI}`,
      req,
      res,
    )
  }
  if (expected.mayBeBadRequest && res.statusCode === 400) {
    check(isHtml(res) && res.headers.location === undefined, '400 HTML page without Location', req, res)
    return
  }
  switch (expected.verdict) {
    case 'page':
      check(res.statusCode === 400 && isHtml(res), '400 HTML error page', req, res)
      check(res.headers.location === undefined, 'no Location header (RFC 6749 §4.1.2.1: MUST NOT redirect)', req, res)
      return
    case 'error':
      checkRedirect(req, res, expected, 'error')
      return
    case 'ok': {
      // OpenID Connect Core §3.1.2.1: prompt=none never shows a page; login and consent force theirs.
      const silent = expected.prompt.includes('none')
      if (!signedIn || expected.prompt.includes('login')) {
        if (silent) return checkRedirect(req, res, expected, 'error', new Set(['login_required']))
        check(res.statusCode === 200 && isHtml(res) && res.body.includes('name="password"'), '200 login page', req, res)
        check(res.headers.location === undefined, 'no Location before sign-in (no code without a session)', req, res)
        return
      }
      const remembered = expected.clientId === CONFIDENTIAL_ID && expected.scopes.every((s) => REMEMBERED.has(s))
      if (remembered && !expected.prompt.includes('consent')) return checkRedirect(req, res, expected, 'code')
      if (silent) return checkRedirect(req, res, expected, 'error', new Set(['consent_required']))
      check(res.statusCode === 200 && isHtml(res) && res.body.includes('name="decision"'), '200 consent page', req, res)
    }
  }
}

async function send(path: string, query: string, browser?: InjectBrowser) {
  const req: Exchange = { method: 'GET', url: `${path}?${targetSafe(query)}` }
  const res = browser ? await browser.get(req.url) : await app.inject({ method: 'GET', url: req.url })
  return { req, res }
}

// ---- Properties ----------------------------------------------------------------------

describe('GET /authorize, fuzzed', () => {
  it('answers every request with the exact outcome the contract allows, not signed in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), authorizeQuery, async (path, query) => {
        const { req, res } = await send(path, query)
        checkAnswer(req, res, expectedFor(req.url), false)
      }),
      runs(650),
    )
  })

  it('answers every request with the exact outcome the contract allows, signed in with a remembered decision', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), authorizeQuery, async (path, query) => {
        const { req, res } = await send(path, query, alice)
        checkAnswer(req, res, expectedFor(req.url), true)
      }),
      runs(350),
    )
  })

  it('treats every parameter sent without a value as omitted (RFC 6749 §3.1)', async () => {
    const optional = [
      'scope',
      'state',
      'redirect_uri',
      'code_challenge',
      'code_challenge_method',
      'prompt',
      'max_age',
      'nonce',
      'login_hint',
      'display',
      'ui_locales',
      'acr_values',
    ]
    const emptyParams = fc.record({
      path: fc.constantFrom(...PATHS),
      names: fc.shuffledSubarray(optional, { minLength: 1 }),
      withEquals: fc.boolean(),
      clientFirst: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(emptyParams, async ({ path, names, withEquals, clientFirst }) => {
        const empties = names.map((name) => (withEquals ? `${name}=` : name))
        const required = [`client_id=${CONFIDENTIAL_ID}`, 'response_type=code']
        const query = (clientFirst ? [...required, ...empties] : [...empties, ...required]).join('&')
        const { req, res } = await send(path, query)
        const expected = expectedFor(req.url)
        check(expected.verdict === 'ok', 'the model to see a valid request', req, res)
        checkAnswer(req, res, expected, false)
      }),
      runs(100),
    )
  })

  // client_id and redirect_uri drawn from mixes of the valid values, look-alikes and junk; kept when not exactly valid.
  const unverifiedTarget = fc
    .record({
      path: fc.constantFrom(...PATHS),
      clientIds: fc.array(clientIdValue, { maxLength: 2 }),
      redirects: fc.array(redirectUriValue, { maxLength: 2 }),
      rest: fc.array(authorizeParam, { maxLength: 6 }),
      mode: encodeMode,
      signedIn: fc.boolean(),
    })
    .map(({ path, clientIds, redirects, rest, mode, signedIn }) => {
      const params: Param[] = [
        { name: 'response_type', value: 'code', mode },
        ...clientIds.map((value) => ({ name: 'client_id', value, mode })),
        ...redirects.map((value) => ({ name: 'redirect_uri', value, mode })),
        { name: 'scope', value: 'foo', mode },
        { name: 'state', value: 'xyz', mode },
        ...rest,
      ]
      return { path, query: joinParams(params), signedIn }
    })
    .filter(({ path, query }) => expectedFor(`${path}?${targetSafe(query)}`).verdict === 'page')

  it('never sends a Location header when client_id or redirect_uri is not exactly valid', async () => {
    await fc.assert(
      fc.asyncProperty(unverifiedTarget, async ({ path, query, signedIn }) => {
        const { req, res } = await send(path, query, signedIn ? alice : undefined)
        check(res.headers.location === undefined, 'no Location header', req, res)
        check(res.statusCode === 400 && isHtml(res), '400 HTML error page', req, res)
      }),
      runs(300),
    )
  })

  it('stays healthy: /healthz and a normal flow still work', async () => {
    await expectHealthz(app)
    const pkce = pkcePair()
    const { params } = await obtainCode(app, config, {
      query: { code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    })
    const code = params.get('code')
    expect(code).toBeTruthy()
    expect(params.get('iss')).toBe(ISSUER)
    const token = await redeemCode(app, config, code!, pkce.verifier)
    expect(token.statusCode).toBe(200)
    expect(token.json()).toMatchObject({ token_type: 'Bearer', scope: 'foo bar' })
  })
})
