// Which token was presented to /introspect or /revoke, whose it is, and whether
// it is still good. RFC 7662 §2.1 / RFC 7009 §2.1: the hint only orders the
// search; every token type is searched.

import { errors, jwtVerify, type JWTPayload } from 'jose'
import type { AuthServerContext } from '../context.js'
import type { RefreshToken, TokenFamily } from '../store/auth-store.js'
import { hashToken } from '../tokens/token-hash.js'

export interface AccessTokenClaims extends JWTPayload {
  readonly sub: string
  readonly client_id: string
  readonly scope: string
  readonly jti: string
  readonly exp: number
  readonly iat: number
}

export type PresentedToken =
  | {
      readonly kind: 'access_token'
      readonly clientId: string
      readonly active: boolean
      readonly claims: AccessTokenClaims
    }
  | {
      readonly kind: 'refresh_token'
      readonly clientId: string
      readonly active: boolean
      readonly token: RefreshToken
      readonly family: TokenFamily
    }

async function lookupAccessToken(ctx: AuthServerContext, token: string): Promise<PresentedToken | undefined> {
  if (token.split('.').length !== 3) return lookupOpaqueAccessToken(ctx, token)
  const now = ctx.now()
  const options = {
    issuer: ctx.config.auth.publicUrl,
    typ: 'at+jwt',
    algorithms: [ctx.keys.alg],
    currentDate: new Date(now),
  }
  let claims: AccessTokenClaims
  let expired = false
  try {
    // Any published key: a token signed before a key rotation is still ours.
    claims = (await jwtVerify(token, ctx.keys.verificationKeys, options)).payload as AccessTokenClaims
  } catch (error) {
    // Signed by us but expired: still ours (revocation must find it), never active.
    if (!(error instanceof errors.JWTExpired)) return undefined
    claims = error.payload as AccessTokenClaims
    expired = true
  }
  if (typeof claims.jti !== 'string' || typeof claims.client_id !== 'string') return undefined
  const active = !expired && !ctx.store.isRevoked(claims.jti)
  return { kind: 'access_token', clientId: claims.client_id, active, claims }
}

/** An opaque access token is known by its hash; its claims are the stored ones. */
function lookupOpaqueAccessToken(ctx: AuthServerContext, token: string): PresentedToken | undefined {
  const found = ctx.store.findOpaqueToken(hashToken(token))
  if (!found) return undefined
  const claims = found.claims as AccessTokenClaims
  if (typeof claims.jti !== 'string' || typeof claims.client_id !== 'string') return undefined
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : found.expiresAt
  const active = exp > ctx.now() && !ctx.store.isRevoked(claims.jti)
  return { kind: 'access_token', clientId: claims.client_id, active, claims }
}

function lookupRefreshToken(ctx: AuthServerContext, token: string): PresentedToken | undefined {
  const found = ctx.store.findRefreshToken(hashToken(token))
  if (!found) return undefined
  const { token: refresh, family } = found
  const active = !family.revoked && !refresh.rotated && refresh.expiresAt > ctx.now()
  return { kind: 'refresh_token', clientId: family.clientId, active, token: refresh, family }
}

export async function lookupToken(
  ctx: AuthServerContext,
  token: string,
  hint?: string,
): Promise<PresentedToken | undefined> {
  if (hint === 'refresh_token') return lookupRefreshToken(ctx, token) ?? (await lookupAccessToken(ctx, token))
  return (await lookupAccessToken(ctx, token)) ?? lookupRefreshToken(ctx, token)
}
