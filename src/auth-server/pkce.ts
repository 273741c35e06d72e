// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored challenge.

import { timingSafeEqual } from 'node:crypto'
import { s256Challenge } from '../shared/sha256.js'

// RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

export function isValidVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier)
}

/**
 * Compared as they are, not hashed again as constantTimeEqual would (two more
 * SHA-256 per code redeemed): the challenge is no secret (it travelled in the
 * authorization request's URL, RFC 7636 §4.3) and the computed one is always
 * 43 characters, so neither length tells anything.
 */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(s256Challenge(verifier), 'utf8')
  const expected = Buffer.from(challenge, 'utf8')
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}
