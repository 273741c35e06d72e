import { describe, it, expect } from 'vitest'
import { errors } from 'undici'
import { loadConfig } from '../../src/shared/config.js'
import {
  basicAuthorization,
  buildAuthorizeUrl,
  callResource,
  createPkce,
  describeFailure,
  exchangeCode,
  formUrlEncode,
  redirectUriOf,
  type BackChannel,
  type BackChannelAnswer,
  type OutgoingRequest,
} from '../../src/client/oauth-client.js'
import { s256Challenge } from '../../src/shared/sha256.js'
import { first } from '../helpers/lists.js'

const config = loadConfig({ AUTH_INTERNAL_URL: 'http://as.internal:1', RESOURCE_INTERNAL_URL: 'http://rs.internal:2' })

/** A back channel that records the requests it is given and answers with the given answer. */
function fakeBackChannel(answer: () => BackChannelAnswer): { send: BackChannel; calls: OutgoingRequest[] } {
  const calls: OutgoingRequest[] = []
  const send: BackChannel = async (request) => {
    calls.push(request)
    return answer()
  }
  return { send, calls }
}

/** A back channel whose every call fails as a network failure does. */
function failingBackChannel(error: Error): BackChannel {
  return async () => {
    throw error
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): BackChannelAnswer {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }
}

function text(status: number, body: string): BackChannelAnswer {
  return { status, headers: { 'content-type': 'text/plain' }, body }
}

const exchange = { code: 'the-code', codeVerifier: 'the-verifier', redirectUri: 'http://localhost:3000/authenticated' }

describe('PKCE (RFC 7636)', () => {
  it('makes a 43-character base64url verifier (32 random bytes) and its S256 challenge', () => {
    const pair = createPkce()
    expect(pair.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(pair.codeVerifier, 'base64url')).toHaveLength(32)
    expect(pair.codeChallenge).toBe(s256Challenge(pair.codeVerifier))
    expect(pair.codeChallengeMethod).toBe('S256')
  })

  it('makes a new verifier every time', () => {
    expect(createPkce().codeVerifier).not.toBe(createPkce().codeVerifier)
  })
})

describe('client authentication (RFC 6749 §2.3.1)', () => {
  it('reproduces the book’s Basic header for the built-in client', () => {
    expect(basicAuthorization('oauth-client-1', 'oauth-client-secret-1')).toBe(
      'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x',
    )
  })

  it('form-encodes id and secret before base64, so ":" and " " survive', () => {
    expect(formUrlEncode('my client:1')).toBe('my+client%3A1')
    const header = basicAuthorization('my client:1', 's3cr:t %')
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')
    expect(decoded).toBe('my+client%3A1:s3cr%3At+%25')
    const [id, secret] = decoded.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
    expect(id).toBe('my client:1')
    expect(secret).toBe('s3cr:t %')
  })
})

describe('buildAuthorizeUrl (step 1)', () => {
  it('sends the browser to the public authorize endpoint with exactly the step 1 parameters', () => {
    const url = new URL(buildAuthorizeUrl(config, { state: 'S', codeChallenge: 'C' }))
    expect(`${url.origin}${url.pathname}`).toBe('http://localhost:9001/authorize')
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'oauth-client-1'],
      ['redirect_uri', 'http://localhost:3000/authenticated'],
      ['scope', 'foo bar'],
      ['state', 'S'],
      ['code_challenge', 'C'],
      ['code_challenge_method', 'S256'],
    ])
    expect(url.search).toContain('redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated')
    expect(redirectUriOf(config)).toBe('http://localhost:3000/authenticated')
  })
})

describe('exchangeCode (step 5)', () => {
  it('POSTs the form to the internal token endpoint with Basic auth, like the book', async () => {
    const { send, calls } = fakeBackChannel(() =>
      json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600, scope: 'foo bar', refresh_token: 'rt' }),
    )
    const result = await exchangeCode(config, send, exchange)
    expect(result).toEqual({
      ok: true,
      token: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, scope: 'foo bar', refresh_token: 'rt' },
    })
    expect(calls).toHaveLength(1)
    const call = first(calls, 'call')
    expect(call.url).toBe('http://as.internal:1/token')
    expect(call.method).toBe('POST')
    expect(call.headers).toEqual({
      Authorization: 'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x',
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
    })
    expect(call.body).toBe(
      'grant_type=authorization_code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated&code=the-code&code_verifier=the-verifier',
    )
  })

  it('returns an RFC 6749 §5.2 error as data instead of throwing', async () => {
    const { send } = fakeBackChannel(() =>
      json(400, { error: 'invalid_grant', error_description: 'code already used' }),
    )
    expect(await exchangeCode(config, send, exchange)).toEqual({
      ok: false,
      unreachable: false,
      status: 400,
      error: 'invalid_grant',
      error_description: 'code already used',
    })
  })

  it('reports invalid_client (401) with its status', async () => {
    const { send } = fakeBackChannel(() =>
      json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="x"' }),
    )
    expect(await exchangeCode(config, send, exchange)).toEqual({
      ok: false,
      unreachable: false,
      status: 401,
      error: 'invalid_client',
      error_description: undefined,
    })
  })

  it('reports a non-JSON answer as unexpected_response', async () => {
    const { send } = fakeBackChannel(() => text(500, '<h1>oops</h1>'))
    const result = await exchangeCode(config, send, exchange)
    expect(result).toMatchObject({ ok: false, unreachable: false, status: 500, error: 'unexpected_response' })
  })

  it('refuses a 200 answer whose token_type is not Bearer (RFC 6749 §7.1)', async () => {
    const { send } = fakeBackChannel(() => json(200, { access_token: 'at', token_type: 'mac' }))
    expect(await exchangeCode(config, send, exchange)).toMatchObject({ ok: false, error: 'invalid_token_response' })
  })

  it('accepts token_type case-insensitively and a response without expires_in or scope', async () => {
    const { send } = fakeBackChannel(() => json(200, { access_token: 'at', token_type: 'bearer' }))
    expect(await exchangeCode(config, send, exchange)).toEqual({
      ok: true,
      token: { access_token: 'at', token_type: 'bearer' },
    })
  })

  it('reports a network failure as unreachable, with its cause', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    expect(await exchangeCode(config, failingBackChannel(refused), exchange)).toEqual({
      ok: false,
      unreachable: true,
      reason: 'connect ECONNREFUSED 127.0.0.1:1',
    })
  })

  it('reports a timeout as unreachable, naming it', async () => {
    const timedOut = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
    const result = await exchangeCode(config, failingBackChannel(timedOut), exchange)
    expect(result).toEqual({ ok: false, unreachable: true, reason: 'The operation was aborted due to timeout' })
  })
})

describe('callResource (step 7)', () => {
  it('sends the token as a Bearer header to the internal resource URL', async () => {
    const { send, calls } = fakeBackChannel(() => json(200, { resource: 'foo', sub: 'alice' }))
    expect(await callResource(config, send, 'tok')).toEqual({
      reachable: true,
      status: 200,
      wwwAuthenticate: undefined,
      body: { resource: 'foo', sub: 'alice' },
    })
    expect(first(calls).url).toBe('http://rs.internal:2/resource')
    expect(first(calls).method).toBe('GET')
    expect(first(calls).headers).toEqual({ Authorization: 'Bearer tok', Accept: 'application/json' })
    expect(first(calls).body).toBeUndefined()
  })

  it('returns the status and WWW-Authenticate of an error', async () => {
    const challenge = 'Bearer realm="oauth-lab", error="insufficient_scope", scope="foo"'
    const { send } = fakeBackChannel(() =>
      json(403, { error: 'insufficient_scope' }, { 'www-authenticate': challenge }),
    )
    expect(await callResource(config, send, 'tok')).toEqual({
      reachable: true,
      status: 403,
      wwwAuthenticate: challenge,
      body: { error: 'insufficient_scope' },
    })
  })

  it('keeps a non-JSON body as text, and reports a network failure', async () => {
    const { send } = fakeBackChannel(() => text(502, 'plain'))
    expect(await callResource(config, send, 'tok')).toMatchObject({ reachable: true, status: 502, body: 'plain' })
    const failing = failingBackChannel(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
    expect(await callResource(config, failing, 'tok')).toEqual({
      reachable: false,
      reason: 'other side closed (UND_ERR_SOCKET)',
    })
  })

  it('joins repeated WWW-Authenticate lines into one list (RFC 9110 §5.3)', async () => {
    const { send } = fakeBackChannel(() => ({
      status: 401,
      headers: { 'www-authenticate': ['Bearer realm="a"', 'Basic realm="b"'] },
      body: '',
    }))
    expect(await callResource(config, send, 'tok')).toMatchObject({
      status: 401,
      wwwAuthenticate: 'Bearer realm="a", Basic realm="b"',
    })
  })
})

describe('describeFailure', () => {
  it('keeps fetch’s cause (Break it and the inspector still use fetch)', () => {
    const error = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') })
    expect(describeFailure(error)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1')
  })

  it('adds the error code only when the message lacks it', () => {
    expect(
      describeFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    ).toBe('connect ECONNREFUSED 127.0.0.1:1')
    expect(describeFailure(new errors.BodyTimeoutError())).toBe('Body Timeout Error (UND_ERR_BODY_TIMEOUT)')
    expect(describeFailure('plain')).toBe('plain')
  })
})
