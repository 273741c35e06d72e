// The client's ID token validation (OIDC Core §3.1.3.7), rule by rule: a
// token signed by the JWKS's key, for this client, with the nonce sent, passes
// every check; each way of being wrong fails the check that names it, and only
// that one. A replayed ID token (another flow's nonce) fails the nonce check.

import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkIdToken } from '../../../../src/client/walks/oidc/id-token-checks.js'

const ISSUER = 'http://localhost:9001'
const CLIENT = 'oauth-client-1'
const NOW = 1_800_000_000
const expected = { issuer: ISSUER, clientId: CLIENT, nonce: 'nonce-sent-in-step-1', now: NOW }

let jwks: JSONWebKeySet
let sign: (claims: JWTPayload) => Promise<string>
let foreign: (claims: JWTPayload) => Promise<string>

beforeAll(async () => {
  const ours = await generateKeyPair('RS256')
  const theirs = await generateKeyPair('RS256')
  jwks = { keys: [{ ...(await exportJWK(ours.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }
  sign = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' }).sign(ours.privateKey)
  foreign = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' }).sign(theirs.privateKey)
})

const good: JWTPayload = {
  iss: ISSUER,
  aud: CLIENT,
  sub: 'alice',
  exp: NOW + 300,
  iat: NOW - 1,
  nonce: 'nonce-sent-in-step-1',
}

const failed = async (token: string) =>
  (await checkIdToken(token, jwks, expected)).filter((c) => !c.ok).map((c) => c.name)

describe('checkIdToken', () => {
  it('passes a valid ID token on every check, in the order of §3.1.3.7', async () => {
    const checks = await checkIdToken(await sign(good), jwks, expected)
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['signature', true],
      ['iss', true],
      ['aud', true],
      ['exp', true],
      ['iat', true],
      ['nonce', true],
    ])
    expect(checks[0]!.text).toContain('RS256 with key k1')
  })

  it('refuses a replayed ID token (another flow\u2019s nonce) by the nonce check, step 11', async () => {
    const checks = await checkIdToken(await sign({ ...good, nonce: 'nonce-of-another-flow' }), jwks, expected)
    const nonce = checks.find((c) => c.name === 'nonce')!
    expect(nonce.ok).toBe(false)
    expect(nonce.text).toBe(
      'nonce: nonce-of-another-flow is not the one this client sent in step 1: a replayed ID token is refused (§3.1.3.7 step 11)',
    )
    expect(checks.filter((c) => !c.ok)).toHaveLength(1)
    expect(await failed(await sign({ ...good, nonce: undefined }))).toEqual(['nonce'])
  })

  it('fails exactly the check each fault breaks', async () => {
    expect(await failed(await foreign(good))).toEqual(['signature'])
    expect(await failed(await sign({ ...good, iss: 'http://evil.example' }))).toEqual(['iss'])
    expect(await failed(await sign({ ...good, aud: 'another-client' }))).toEqual(['aud'])
    expect(await failed(await sign({ ...good, aud: ['another-client', CLIENT] }))).toEqual([])
    expect(await failed(await sign({ ...good, exp: NOW - 1 }))).toEqual(['exp'])
    expect(await failed(await sign({ ...good, iat: NOW + 3600 }))).toEqual(['iat'])
  })

  it('never accepts an unsigned token, nor something that is not a JWT', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    const payload = Buffer.from(JSON.stringify(good)).toString('base64url')
    expect(await failed(`${header}.${payload}.`)).toEqual(['signature'])
    expect(await checkIdToken('not-a-jwt', jwks, expected)).toEqual([
      { name: 'signature', ok: false, text: 'The id_token is not a JWT.' },
    ])
  })
})
