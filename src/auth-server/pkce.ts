// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored challenge.

import { createHash, timingSafeEqual } from 'node:crypto'

// RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

export function isValidVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier)
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url')
}

export function verifierMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(s256(verifier))
  const expected = Buffer.from(challenge)
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}
