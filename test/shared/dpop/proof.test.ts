// RFC 9449 §4.3: every check of a DPoP proof, each failing on its own.

import { describe, expect, it } from 'vitest'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { createNonceSource } from '../../../src/shared/dpop/nonces.js'
import { normaliseHtu, verifyDpopProof, type ProofExpectations } from '../../../src/shared/dpop/proof.js'
import { createReplayCache } from '../../../src/shared/dpop/replay-cache.js'
import { accessTokenHash } from '../../../src/shared/dpop/thumbprint.js'

const NOW = 1_800_000_000_000
const URL_ = 'http://localhost:9001/token'
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

const keys = await generateKeyPair('ES256', { extractable: true })
const publicJwk = await exportJWK(keys.publicKey)
const other = await generateKeyPair('ES256', { extractable: true })
let counter = 0

interface ProofOptions {
  readonly header?: Record<string, unknown>
  readonly claims?: Record<string, unknown>
  readonly jwk?: JWK
  readonly key?: CryptoKey
}

async function proof({ header = {}, claims = {}, jwk = publicJwk, key = keys.privateKey }: ProofOptions = {}) {
  return new SignJWT({ jti: `jti-${++counter}`, htm: 'POST', htu: URL_, iat: NOW / 1000, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
    .sign(key)
}

function expectations(extra: Partial<ProofExpectations> = {}): ProofExpectations {
  return { method: 'POST', url: URL_, now: NOW, replay: createReplayCache(), ...extra }
}

async function refusal(headers: string[] | undefined, extra: Partial<ProofExpectations> = {}) {
  const outcome = await verifyDpopProof(headers, expectations(extra))
  if (outcome.ok) throw new Error('expected the proof to be refused')
  return outcome
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  it('accepts a valid proof and returns the RFC 7638 thumbprint of its key', async () => {
    const outcome = await verifyDpopProof([await proof()], expectations())
    expect(outcome).toEqual({
      ok: true,
      proof: { jkt: await calculateJwkThumbprint(publicJwk), jti: expect.any(String) },
    })
  })

  it('refuses a request without a DPoP header, and one with two', async () => {
    expect((await refusal(undefined)).description).toMatch(/no DPoP proof/)
    const one = await proof()
    expect((await refusal([one, one])).description).toMatch(/exactly one DPoP header/)
    expect((await refusal([`${one}, ${one}`])).description).toMatch(/exactly one DPoP header/)
  })

  it('refuses what is not a JWT', async () => {
    expect(await refusal(['not-a-jwt'])).toEqual({
      ok: false,
      error: 'invalid_dpop_proof',
      description: expect.stringMatching(/not a well-formed JWT/),
    })
  })

  it('refuses a typ other than dpop+jwt', async () => {
    expect((await refusal([await proof({ header: { typ: 'JWT' } })])).description).toMatch(/typ must be dpop\+jwt/)
  })

  it('refuses alg none', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: publicJwk })}.${b64({ jti: 'x', htm: 'POST', htu: URL_, iat: NOW / 1000 })}.`
    expect((await refusal([unsigned])).description).toMatch(/alg must be one of ES256, RS256, PS256, EdDSA/)
  })

  it('refuses HS256, even with a key in jwk', async () => {
    const hmac = await new SignJWT({ jti: 'h', htm: 'POST', htu: URL_, iat: NOW / 1000 })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: publicJwk })
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'))
    expect((await refusal([hmac])).description).toMatch(/alg must be one of/)
  })

  it('refuses a jwk with private key material', async () => {
    const privateJwk = await exportJWK(keys.privateKey)
    expect((await refusal([await proof({ jwk: privateJwk })])).description).toMatch(/must be a public key/)
  })

  it('refuses a jwk that is not a key object', async () => {
    expect((await refusal([await proof({ header: { jwk: 'key' } })])).description).toMatch(/public key as jwk/)
  })

  it('accepts an RS256 key of 2048 bits and refuses one over 4096 bits unread', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true })
    const rsaJwk = await exportJWK(rsa.publicKey)
    const signed = await proof({ header: { alg: 'RS256' }, jwk: rsaJwk, key: rsa.privateKey })
    expect((await verifyDpopProof([signed], expectations())).ok).toBe(true)
    const huge = await proof({ header: { alg: 'RS256' }, jwk: { ...rsaJwk, n: 'A'.repeat(700) }, key: rsa.privateKey })
    expect((await refusal([huge])).description).toMatch(/over 4096 bits/)
  })

  it('refuses a bad signature: signed with another key than the one in jwk', async () => {
    expect((await refusal([await proof({ key: other.privateKey })])).description).toMatch(/signature is invalid/)
  })

  it('refuses missing claims', async () => {
    expect((await refusal([await proof({ claims: { jti: undefined } })])).description).toMatch(/jti/)
    expect((await refusal([await proof({ claims: { htm: undefined } })])).description).toMatch(/htm/)
    expect((await refusal([await proof({ claims: { iat: undefined } })])).description).toMatch(/iat/)
  })

  it('refuses a wrong htm', async () => {
    expect((await refusal([await proof({ claims: { htm: 'GET' } })])).description).toMatch(/htm must be POST/)
  })

  it('refuses a wrong htu, and compares htu after RFC 3986 normalisation without query and fragment', async () => {
    const wrong = await refusal([await proof({ claims: { htu: 'http://localhost:9001/introspect' } })])
    expect(wrong.description).toMatch(/htu must be http:\/\/localhost:9001\/token/)
    const otherHost = await refusal([await proof({ claims: { htu: 'http://127.0.0.1:9001/token' } })])
    expect(otherHost.error).toBe('invalid_dpop_proof')
    const equivalent = await proof({ claims: { htu: 'HTTP://LOCALHOST:9001/./%74oken?x=1#frag' } })
    expect((await verifyDpopProof([equivalent], expectations())).ok).toBe(true)
    expect(normaliseHtu('https://Example.com:443/a/%7e/%2f')).toBe('https://example.com/a/~/%2F')
  })

  it('refuses an iat outside the window, in the past or the future', async () => {
    expect((await refusal([await proof({ claims: { iat: NOW / 1000 - 61 } })])).description).toMatch(
      /iat must be within 60 seconds/,
    )
    expect((await refusal([await proof({ claims: { iat: NOW / 1000 + 61 } })])).description).toMatch(/iat/)
    expect((await verifyDpopProof([await proof({ claims: { iat: NOW / 1000 - 59 } })], expectations())).ok).toBe(true)
  })

  it('refuses a replayed proof (same jti and key) within the window', async () => {
    const replay = createReplayCache()
    const once = await proof()
    expect((await verifyDpopProof([once], expectations({ replay }))).ok).toBe(true)
    expect((await refusal([once], { replay })).description).toMatch(/used before/)
  })

  it('checks ath against the access token, at the resource server', async () => {
    const at = { method: 'GET', url: 'http://localhost:9002/resource', accessToken: 'the-token' }
    const claims = { htm: 'GET', htu: at.url }
    const good = await proof({ claims: { ...claims, ath: accessTokenHash('the-token') } })
    expect((await verifyDpopProof([good], expectations(at))).ok).toBe(true)
    const wrong = await proof({ claims: { ...claims, ath: accessTokenHash('another-token') } })
    expect((await refusal([wrong], at)).description).toMatch(/ath does not match/)
    expect((await refusal([await proof({ claims })], at)).description).toMatch(/needs an ath claim/)
  })

  it('refuses a proof whose key is not the one the token is bound to', async () => {
    const boundJkt = await calculateJwkThumbprint(await exportJWK(other.publicKey))
    expect((await refusal([await proof()], { boundJkt })).description).toMatch(/another key/)
  })

  it('with nonces: use_dpop_nonce for a missing or stale nonce; the current and the previous one pass', async () => {
    let now = NOW
    const nonces = createNonceSource(() => now, 1000)
    const missing = await refusal([await proof()], { nonces })
    expect(missing).toMatchObject({ error: 'use_dpop_nonce' })
    const first = nonces.current()
    expect((await verifyDpopProof([await proof({ claims: { nonce: first } })], expectations({ nonces }))).ok).toBe(true)
    now += 1000 // one rotation: the previous nonce still passes
    expect(nonces.current()).not.toBe(first)
    expect((await verifyDpopProof([await proof({ claims: { nonce: first } })], expectations({ nonces }))).ok).toBe(true)
    now += 1000 // two rotations: stale
    nonces.current()
    const stale = await refusal([await proof({ claims: { nonce: first } })], { nonces })
    expect(stale).toMatchObject({ error: 'use_dpop_nonce', description: expect.stringMatching(/not current/) })
  })
})

describe('createReplayCache', () => {
  it('forgets an entry once its window has passed, and stays within its cap', () => {
    const cache = createReplayCache(3)
    expect(cache.firstUse('a', 100, 0)).toBe(true)
    expect(cache.firstUse('a', 100, 50)).toBe(false)
    expect(cache.firstUse('a', 300, 100)).toBe(true)
    for (let i = 0; i < 10; i++) cache.firstUse(`k${i}`, 1000, 200)
    expect(cache.size()).toBe(3)
  })
})
