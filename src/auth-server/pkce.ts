// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored challenge.

import { constantTimeEqual } from '../shared/constant-time.js'
import { s256Challenge } from '../shared/sha256.js'

// RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

export function isValidVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier)
}

export function verifierMatches(verifier: string, challenge: string): boolean {
  return constantTimeEqual(s256Challenge(verifier), challenge)
}
