// SHA-256 as base64url without padding: the PKCE S256 transform (RFC 7636
// §4.2) on both sides of the flow, and the form in which tokens are stored.

import { createHash } from 'node:crypto'

/** BASE64URL(SHA256(value)) of the value's UTF-8 bytes, without padding (RFC 7636 Appendix A). */
export function sha256Base64url(value: string, encoding: 'utf8' | 'ascii' = 'utf8'): string {
  return createHash('sha256').update(value, encoding).digest('base64url')
}

/**
 * RFC 7636 §4.2: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
 * A valid verifier is ASCII already (§4.1); one that is not hashes as Node's
 * 'ascii' encoding reads it, and so cannot match a challenge made from UTF-8.
 */
export function s256Challenge(codeVerifier: string): string {
  return sha256Base64url(codeVerifier, 'ascii')
}
