// Step 6: the access token itself: a JWT per RFC 9068, or, for a client
// registered with accessTokenFormat 'opaque', a random string whose claims
// only this server holds (read through RFC 7662 introspection).

import { randomId, randomSecret } from '../../shared/random.js'
import type { AuthServerContext } from '../context.js'
import type { TokenGrantType } from '../extensions.js'
import type { SigningKeys } from './keys.js'
import { signJwt } from './jws.js'
import { hashToken } from './token-hash.js'

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
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  readonly jkt?: string
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
 * RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti all present; `scope`
 * carries what was granted. `iss` is always the public URL, whatever URL the
 * request came in on. Extra claims never override these.
 */
export function accessTokenPayload(plan: AccessTokenPlan, claims: AccessTokenClaims): Record<string, unknown> {
  return {
    ...claims.extra,
    iss: claims.issuer,
    sub: claims.sub,
    aud: claims.audience,
    client_id: claims.clientId,
    scope: claims.scopes.join(' '),
    iat: plan.iat,
    exp: plan.iat + plan.expiresIn,
    jti: plan.jti,
    ...(claims.jkt === undefined ? {} : { cnf: { jkt: claims.jkt } }),
  }
}

/** RFC 9068 §2.1: header `typ: at+jwt`, signed asymmetrically with the current key. */
export function signAccessTokenPayload(keys: SigningKeys, payload: Record<string, unknown>): Promise<string> {
  return signJwt(keys, 'at+jwt', payload)
}

export function signAccessToken(keys: SigningKeys, plan: AccessTokenPlan, claims: AccessTokenClaims): Promise<string> {
  return signAccessTokenPayload(keys, accessTokenPayload(plan, claims))
}

/**
 * The access token in the client's format, after the extension point claimsBeforeSigning.
 * An opaque token is 258 random bits (RFC 6749 §10.10); the store keeps only
 * its hash, with the claims a JWT would have carried.
 */
export async function mintAccessToken(
  ctx: AuthServerContext,
  plan: AccessTokenPlan,
  claims: AccessTokenClaims,
  grantType: TokenGrantType,
): Promise<string> {
  const payload = await ctx.extensions.claimsBeforeSigning('access_token', accessTokenPayload(plan, claims), {
    grantType,
    clientId: claims.clientId,
  })
  if (ctx.clients.get(claims.clientId)?.accessTokenFormat !== 'opaque') return signAccessTokenPayload(ctx.keys, payload)
  const token = randomSecret()
  ctx.store.saveOpaqueToken({ hash: hashToken(token), claims: payload, expiresAt: plan.expiresAt })
  return token
}
