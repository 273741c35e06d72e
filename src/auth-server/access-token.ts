// Step 6: the access token itself, a JWT per RFC 9068.

import { SignJWT } from 'jose'
import { randomId } from '../shared/random.js'
import type { SigningKeys } from './keys.js'

export interface AccessTokenPlan {
  readonly jti: string
  readonly iat: number
  readonly expiresIn: number
  /** Milliseconds, for the store. */
  readonly expiresAt: number
}

export interface AccessTokenClaims {
  readonly issuer: string
  /** The resource server's public URL (RFC 9068 §3: a default audience). */
  readonly audience: string
  readonly sub: string
  readonly clientId: string
  readonly scopes: readonly string[]
  /** Extra claims (the test API's issueToken and beforeTokenSigning hook); the registered ones win. */
  readonly extra?: Readonly<Record<string, unknown>>
}

/**
 * The token's id and times, fixed before signing so the caller can record the
 * id first: a code replayed while the token is being signed still revokes it.
 */
export function planAccessToken(nowMs: number, ttlSeconds: number): AccessTokenPlan {
  const iat = Math.floor(nowMs / 1000)
  return { jti: randomId(), iat, expiresIn: ttlSeconds, expiresAt: (iat + ttlSeconds) * 1000 }
}

/**
 * RFC 9068 §2.1: header `typ: at+jwt`, signed asymmetrically; §2.2: iss, exp,
 * aud, sub, client_id, iat, jti all present; `scope` carries what was granted.
 * `iss` is always the public URL, whatever URL the request came in on.
 */
export function signAccessToken(keys: SigningKeys, plan: AccessTokenPlan, claims: AccessTokenClaims): Promise<string> {
  return new SignJWT({ ...claims.extra, client_id: claims.clientId, scope: claims.scopes.join(' ') })
    .setProtectedHeader({ alg: keys.alg, typ: 'at+jwt', kid: keys.kid })
    .setIssuer(claims.issuer)
    .setSubject(claims.sub)
    .setAudience(claims.audience)
    .setIssuedAt(plan.iat)
    .setExpirationTime(plan.iat + plan.expiresIn)
    .setJti(plan.jti)
    .sign(keys.privateKey)
}
