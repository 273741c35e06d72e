// Step 6: what every grant hands back: an RFC 9068 access token and, where the
// grant allows it, a rotating refresh token in the authorization's family.

import type { GrantType } from '../../shared/config.js'
import { randomId, randomSecret } from '../../shared/random.js'
import { mintAccessToken, planAccessToken } from '../tokens/access-token.js'
import type { AuthServerContext } from '../context.js'
import type { TokenFamily } from '../store/memory-store.js'
import { hashToken } from '../tokens/token-hash.js'
import type { TokenResponse } from './grant-types.js'

export { hashToken }

/** Starts the family of refresh tokens of one authorization. */
export function newFamily(
  ctx: AuthServerContext,
  grant: { clientId: string; sub: string; scopes: readonly string[]; authTime: number },
): TokenFamily {
  const family: TokenFamily = { id: randomId(), ...grant, accessTokenIds: [], revoked: false }
  ctx.store.saveFamily(family)
  return family
}

export async function issueTokens(
  ctx: AuthServerContext,
  grant: {
    grantType: GrantType
    clientId: string
    sub: string
    scopes: readonly string[]
    family?: TokenFamily
    recordIn?: Array<{ jti: string; expiresAt: number }>
  },
): Promise<TokenResponse> {
  const now = ctx.now()
  const plan = planAccessToken(now, ctx.config.auth.accessTokenTtlSeconds)
  // Recorded before signing: a replay or revocation that lands meanwhile still catches it.
  if (grant.family) {
    // Through the store when the family is its own; a family the store does not hold is recorded directly.
    if (ctx.store.findFamily(grant.family.id) === grant.family)
      ctx.store.recordAccessToken(grant.family.id, { jti: plan.jti, expiresAt: plan.expiresAt })
    else grant.family.accessTokenIds.push({ jti: plan.jti, expiresAt: plan.expiresAt })
  }
  grant.recordIn?.push({ jti: plan.jti, expiresAt: plan.expiresAt })
  let refreshToken: string | undefined
  if (grant.family) {
    refreshToken = randomSecret()
    ctx.store.saveRefreshToken({
      hash: hashToken(refreshToken),
      familyId: grant.family.id,
      expiresAt: now + ctx.config.auth.refreshTokenTtlSeconds * 1000,
      rotated: false,
    })
  }
  const accessToken = await mintAccessToken(
    ctx,
    plan,
    {
      issuer: ctx.config.auth.publicUrl,
      audience: ctx.config.resource.publicUrl,
      sub: grant.sub,
      clientId: grant.clientId,
      scopes: grant.scopes,
    },
    grant.grantType,
  )
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: plan.expiresIn,
    scope: grant.scopes.join(' '),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  }
}
