// RFC 9449 §6.1: a token is bound to the proof's key by the key's RFC 7638
// JWK SHA-256 thumbprint (`cnf.jkt`); §4.2 / §7: `ath` is the access token's
// SHA-256, base64url.

import { calculateJwkThumbprint, type JWK } from 'jose'
import { sha256Base64url } from '../sha256.js'

/** RFC 7638 thumbprint (SHA-256, base64url) of a public JWK. */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256')
}

/** RFC 9449 §4.2: ath = base64url(SHA-256(ASCII(access token))). */
export function accessTokenHash(accessToken: string): string {
  return sha256Base64url(accessToken, 'ascii')
}
