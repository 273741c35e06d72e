// RFC 9449 at the token endpoint: a valid DPoP proof binds the tokens of
// every grant to the proof's key (token_type DPoP, cnf.jkt, §5, §6); a bad
// proof is 400 invalid_dpop_proof; public clients' refresh tokens are bound
// (§5.8); server nonces (§8) when DPOP_NONCE is on.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import {
  authServerWithClients,
  obtainCode,
  pkcePair,
  testAuthServer,
  type TestClock,
} from '../../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  introspect,
  postForm,
  publicClient,
  PUBLIC_CLIENT,
  redeemCode,
  type Caller,
  type TokenBody,
} from '../../helpers/back-channel.js'
import { dpopKey, type DpopKey } from '../../helpers/dpop.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

const tokenUrl = () => `${config.auth.publicUrl}/token`

async function codeFor(target: FastifyInstance, cfg: LabConfig, clientId = 'oauth-client-1') {
  const pkce = pkcePair()
  const { params } = await obtainCode(target, cfg, {
    query: { client_id: clientId, scope: 'foo bar', code_challenge: pkce.challenge, code_challenge_method: 'S256' },
  })
  return { code: params.get('code')!, verifier: pkce.verifier }
}

/** A caller whose request carries a fresh proof of `key` for POST /token. */
async function withProof(caller: Caller, key: DpopKey, claims: { htu?: string; nonce?: string; iat?: number } = {}) {
  const proof = await key.proof({ htm: 'POST', htu: tokenUrl(), ...claims })
  return { ...caller, headers: { ...caller.headers, dpop: proof } }
}

async function dpopCode(key: DpopKey, clientId = 'oauth-client-1') {
  const { code, verifier } = await codeFor(app, config, clientId)
  const caller = clientId === PUBLIC_CLIENT ? publicClient : confidential
  return redeemCode(app, config, code, verifier, await withProof(caller, key))
}

describe('authorization_code with a DPoP proof (RFC 9449 §5)', () => {
  it('issues a DPoP token bound to the proof key: token_type DPoP and cnf.jkt (§6.1)', async () => {
    const key = await dpopKey(clock.now)
    const res = await dpopCode(key)
    expect(res.statusCode).toBe(200)
    const body = res.json<TokenBody>()
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
  })

  it('introspection shows the binding: token_type DPoP and cnf (§6.2)', async () => {
    const key = await dpopKey(clock.now)
    const { access_token: accessToken } = (await dpopCode(key)).json<TokenBody>()
    const answer = (await introspect(app, accessToken)).json<Record<string, unknown>>()
    expect(answer).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } })
  })

  it('without a DPoP header: Bearer as before, no cnf', async () => {
    const { code, verifier } = await codeFor(app, config)
    const body = (await redeemCode(app, config, code, verifier)).json<TokenBody>()
    expect(body.token_type).toBe('Bearer')
    expect(decodeJwt(body.access_token).cnf).toBeUndefined()
    expect((await introspect(app, body.access_token)).json()).toMatchObject({ token_type: 'Bearer' })
    expect((await introspect(app, body.access_token)).json()).not.toHaveProperty('cnf')
  })

  it('refuses a proof for another URL with 400 invalid_dpop_proof, and leaves the code unused', async () => {
    const key = await dpopKey(clock.now)
    const { code, verifier } = await codeFor(app, config)
    const wrong = await withProof(confidential, key, { htu: `${config.auth.publicUrl}/introspect` })
    const res = await redeemCode(app, config, code, verifier, wrong)
    expectOAuthError(res, 400, 'invalid_dpop_proof')
    expect(res.json<{ error_description: string }>().error_description).toMatch(/htu must be/)
    // The proof is checked before the grant: the code is still good.
    const retry = await redeemCode(app, config, code, verifier, await withProof(confidential, key))
    expect(retry.statusCode).toBe(200)
  })

  it('accepts the alias /site/oauth2/access_token with its own htu', async () => {
    const key = await dpopKey(clock.now)
    const { code, verifier } = await codeFor(app, config)
    const proof = await key.proof({ htm: 'POST', htu: `${config.auth.publicUrl}/site/oauth2/access_token` })
    const res = await postForm(
      app,
      '/site/oauth2/access_token',
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: `${config.client.publicUrl}/authenticated`,
      },
      { headers: { ...confidential.headers, dpop: proof } },
    )
    expect(res.statusCode).toBe(200)
    expect(res.json<TokenBody>().token_type).toBe('DPoP')
  })

  it('refuses a replayed proof with 400 invalid_dpop_proof', async () => {
    const key = await dpopKey(clock.now)
    const caller = await withProof(confidential, key)
    const first = await codeFor(app, config)
    expect((await redeemCode(app, config, first.code, first.verifier, caller)).statusCode).toBe(200)
    const second = await codeFor(app, config)
    const res = await redeemCode(app, config, second.code, second.verifier, caller)
    expectOAuthError(res, 400, 'invalid_dpop_proof')
    expect(res.json<{ error_description: string }>().error_description).toMatch(/used before/)
  })

  it('refuses a stale proof (iat outside the window)', async () => {
    const key = await dpopKey(clock.now)
    const { code, verifier } = await codeFor(app, config)
    const old = await withProof(confidential, key, { iat: Math.floor(clock.now() / 1000) - 120 })
    expectOAuthError(await redeemCode(app, config, code, verifier, old), 400, 'invalid_dpop_proof')
  })
})

describe('client_credentials with a DPoP proof', () => {
  it('issues a bound token', async () => {
    const key = await dpopKey(clock.now)
    const res = await postForm(app, '/token', { grant_type: 'client_credentials' }, await withProof(confidential, key))
    expect(res.statusCode).toBe(200)
    const body = res.json<TokenBody>()
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
  })
})

function refreshWith(refreshToken: string, caller: Caller) {
  return postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, caller)
}

describe('refresh_token and DPoP (RFC 9449 §5, §5.8)', () => {
  it('a public client: the refresh token is bound to the key; another key or no proof is invalid_grant and rotates nothing', async () => {
    const key = await dpopKey(clock.now)
    const first = (await dpopCode(key, PUBLIC_CLIENT)).json<TokenBody>()
    const thief = await dpopKey(clock.now)
    expectOAuthError(await refreshWith(first.refresh_token!, publicClient), 400, 'invalid_grant')
    expectOAuthError(
      await refreshWith(first.refresh_token!, await withProof(publicClient, thief)),
      400,
      'invalid_grant',
    )
    // Neither attempt rotated it (a rotation would make this a reuse that revokes the family).
    const res = await refreshWith(first.refresh_token!, await withProof(publicClient, key))
    expect(res.statusCode).toBe(200)
    const body = res.json<TokenBody>()
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
  })

  it('a confidential client: the refresh token is not bound; the new access token is bound to the refresh proof', async () => {
    const key = await dpopKey(clock.now)
    const first = (await dpopCode(key)).json<TokenBody>()
    const plain = (await refreshWith(first.refresh_token!, confidential)).json<TokenBody>()
    expect(plain.token_type).toBe('Bearer')
    expect(decodeJwt(plain.access_token).cnf).toBeUndefined()
    const other = await dpopKey(clock.now)
    const bound = (await refreshWith(plain.refresh_token!, await withProof(confidential, other))).json<TokenBody>()
    expect(bound.token_type).toBe('DPoP')
    expect(decodeJwt(bound.access_token).cnf).toEqual({ jkt: other.jkt })
  })
})

describe('a client registered with requireDpop (RFC 9449 §5.2)', () => {
  let strict: FastifyInstance
  beforeAll(async () => {
    ;({ app: strict } = await authServerWithClients('startLab options', [
      {
        clientId: 'dpop-only',
        clientSecret: 'dpop-only-secret',
        scopes: ['foo'],
        grantTypes: ['client_credentials'],
        requireDpop: true,
      },
    ]))
  })
  afterAll(() => strict.close())
  const caller: Caller = { form: { client_id: 'dpop-only', client_secret: 'dpop-only-secret' } }

  it('refuses a token request without a proof: 400 invalid_dpop_proof', async () => {
    const res = await postForm(strict, '/token', { grant_type: 'client_credentials' }, caller)
    expectOAuthError(res, 400, 'invalid_dpop_proof')
  })

  it('accepts one with a proof', async () => {
    const key = await dpopKey()
    const res = await postForm(strict, '/token', { grant_type: 'client_credentials' }, await withProof(caller, key))
    expect(res.statusCode).toBe(200)
    expect(res.json<TokenBody>().token_type).toBe('DPoP')
  })
})

describe('with DPOP_NONCE=on (RFC 9449 §8)', () => {
  let noncing: FastifyInstance
  let noncingClock: TestClock
  beforeAll(async () => {
    ;({ app: noncing, clock: noncingClock } = await testAuthServer({ DPOP_NONCE: 'on' }))
  })
  afterAll(() => noncing.close())

  it('answers a proof without a nonce with 400 use_dpop_nonce and a DPoP-Nonce header; the retry with it passes', async () => {
    const key = await dpopKey(noncingClock.now)
    const first = await postForm(
      noncing,
      '/token',
      { grant_type: 'client_credentials' },
      await withProof(confidential, key),
    )
    expectOAuthError(first, 400, 'use_dpop_nonce')
    const nonce = first.headers['dpop-nonce']
    expect(nonce).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/))
    const retry = await postForm(
      noncing,
      '/token',
      { grant_type: 'client_credentials' },
      await withProof(confidential, key, { nonce: String(nonce) }),
    )
    expect(retry.statusCode).toBe(200)
    expect(retry.json<TokenBody>().token_type).toBe('DPoP')
    expect(retry.headers['dpop-nonce']).toBe(nonce)
  })

  it('refuses a made-up nonce with use_dpop_nonce', async () => {
    const key = await dpopKey(noncingClock.now)
    const res = await postForm(
      noncing,
      '/token',
      { grant_type: 'client_credentials' },
      await withProof(confidential, key, { nonce: 'not-the-servers-nonce' }),
    )
    expectOAuthError(res, 400, 'use_dpop_nonce')
  })

  it('leaves requests without a DPoP header alone (Bearer)', async () => {
    const res = await postForm(noncing, '/token', { grant_type: 'client_credentials' }, confidential)
    expect(res.statusCode).toBe(200)
    expect(res.json<TokenBody>().token_type).toBe('Bearer')
  })
})

describe('metadata', () => {
  it('lists dpop_signing_alg_values_supported (RFC 9449 §5.1)', async () => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    expect(res.json<Record<string, unknown>>().dpop_signing_alg_values_supported).toEqual([
      'ES256',
      'RS256',
      'PS256',
      'EdDSA',
    ])
  })
})
