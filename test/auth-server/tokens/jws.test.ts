import { describe, expect, it } from 'vitest'
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { signJwt } from '../../../src/auth-server/tokens/jws.js'
import { createKeyRing, generateSigningKeys, SIGNING_ALGORITHMS } from '../../../src/auth-server/tokens/keys.js'

const payload = {
  iss: 'http://localhost:9001',
  sub: 'alice',
  aud: 'http://localhost:9002',
  scope: 'foo bar',
  iat: 1_700_000_000,
  exp: 1_700_003_600,
  jti: 'j-1',
  note: 'héllo ✓',
}

describe('signJwt (RFC 7515 §7.1 compact serialization)', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: jose verifies the signature with the public key, and header and payload are exactly what was given`, async () => {
      const keys = await generateSigningKeys(alg)
      const token = await signJwt(keys, 'at+jwt', payload)
      const parts = token.split('.')
      expect(parts).toHaveLength(3)
      // base64url without padding (RFC 7515 §2).
      for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: keys.kid })
      const verified = await compactVerify(token, keys.publicKey)
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload)
      // And as a JWT through the published key set, as a resource server checks it.
      const { payload: claims } = await jwtVerify(token, createLocalJWKSet(keys.jwks), {
        typ: 'at+jwt',
        currentDate: new Date(1_700_000_100_000),
        algorithms: [alg],
      })
      expect(claims.sub).toBe('alice')
    })
  }

  it('a signature over other bytes does not verify (the signing input is header.payload)', async () => {
    const keys = await generateSigningKeys('ES256')
    const [header, , signature] = (await signJwt(keys, 'JWT', payload)).split('.')
    const otherPayload = Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url')
    await expect(compactVerify(`${header}.${otherPayload}.${signature}`, keys.publicKey)).rejects.toThrow(
      /signature verification failed/,
    )
  })

  it('pairs kid and signature of one key even when the ring rotates while signing', async () => {
    const ring = createKeyRing(await generateSigningKeys('ES256'))
    const first = ring.kid
    const pending = signJwt(ring, 'at+jwt', payload)
    await ring.rotate()
    const token = await pending
    expect(decodeProtectedHeader(token).kid).toBe(first)
    // The old key is still published after one rotation, so the token verifies by its kid.
    await expect(
      jwtVerify(token, createLocalJWKSet(ring.jwks), { currentDate: new Date(1_700_000_100_000) }),
    ).resolves.toBeTruthy()
  })
})
