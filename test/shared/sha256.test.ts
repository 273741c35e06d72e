import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { s256Challenge, sha256Base64url } from '../../src/shared/sha256.js'

describe('sha256Base64url', () => {
  it('is SHA-256 as base64url without padding', () => {
    // SHA-256("abc") of FIPS 180-2, re-encoded as base64url.
    expect(sha256Base64url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
    expect(sha256Base64url('')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('hashes the UTF-8 bytes of the value', () => {
    const utf8 = createHash('sha256').update(Buffer.from('é', 'utf8')).digest('base64url')
    expect(sha256Base64url('é')).toBe(utf8)
    expect(sha256Base64url('é')).not.toBe(sha256Base64url('é', 'ascii'))
  })
})

describe('s256Challenge (RFC 7636 §4.2)', () => {
  it('computes the challenge of the Appendix B example', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  it('equals the UTF-8 hash for every valid (ASCII) verifier', () => {
    const verifier = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~'
    expect(s256Challenge(verifier)).toBe(sha256Base64url(verifier))
  })
})
