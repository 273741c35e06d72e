import { describe, expect, it } from 'vitest'
import { isValidVerifier, verifierMatches } from '../../src/auth-server/pkce.js'

// RFC 7636 Appendix B: the worked S256 example.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

describe('verifierMatches (RFC 7636 §4.6)', () => {
  it('accepts the verifier of the challenge', () => {
    expect(verifierMatches(VERIFIER, CHALLENGE)).toBe(true)
  })

  it('refuses another verifier, a changed challenge, and challenges of other lengths without throwing', () => {
    expect(verifierMatches(`${VERIFIER.slice(0, -1)}Y`, CHALLENGE)).toBe(false)
    expect(verifierMatches(VERIFIER, `${CHALLENGE.slice(0, -1)}N`)).toBe(false)
    expect(verifierMatches(VERIFIER, CHALLENGE.slice(0, -1))).toBe(false)
    expect(verifierMatches(VERIFIER, `${CHALLENGE}A`)).toBe(false)
    expect(verifierMatches(VERIFIER, '')).toBe(false)
    // The plain method's challenge (the verifier itself) is not an S256 one.
    expect(verifierMatches(VERIFIER, VERIFIER)).toBe(false)
  })

  it('compares the text, not a lossy encoding of it', () => {
    // 43 UTF-16 code units but more UTF-8 bytes: unequal, and no throw from timingSafeEqual.
    expect(verifierMatches(VERIFIER, `${CHALLENGE.slice(0, -1)}é`)).toBe(false)
  })
})

describe('isValidVerifier (RFC 7636 §4.1)', () => {
  it('takes 43 to 128 unreserved characters', () => {
    expect(isValidVerifier(VERIFIER)).toBe(true)
    expect(isValidVerifier('a'.repeat(42))).toBe(false)
    expect(isValidVerifier('a'.repeat(129))).toBe(false)
    expect(isValidVerifier(`${'a'.repeat(42)}+`)).toBe(false)
  })
})
