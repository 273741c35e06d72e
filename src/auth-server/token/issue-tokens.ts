// Step 6: what every grant hands back: an RFC 9068 access token and, where the
// grant allows it, a rotating refresh token in the authorization's family.

import type { GrantType } from '../../shared/config.js'
import { randomId, randomSecret } from '../../shared/random.js'
import { mintAccessToken, planAccessToken } from '../tokens/access-token.js'
import type { AuthServerContext } from '../context.js'
import type { TokenFamily } from '../store/auth-store.js'
import { hashToken } from '../tokens/token-hash.js'
import { familyBinding } from './dpop.js'
import type { TokenResponse } from './grant-types.js'

export { hashToken }

/** Starts the family of refresh tokens of one authorization. */
export function newFamily(
  ctx: AuthServerContext,
  grant: { clientId: string; sub: string; scopes: readonly string[]; authTime: number; resources: readonly string[] },
): TokenFamily {
  return ctx.store.startFamily({ id: randomId(), ...grant, ...familyBinding(ctx, grant.clientId) })
}

export async function issueTokens(
  ctx: AuthServerContext,
  grant: {
    grantType: GrantType
    clientId: string
    sub: string
    scopes: readonly string[]
    /** RFC 8707: the one resource server the access token is for, its `aud`. */
    audience: string
    family?: TokenFamily
    /** The authorization code the tokens come from: a replay of it revokes them (RFC 6749 §4.1.2). */
    fromCode?: string
  },
): Promise<TokenResponse> {
  const now = ctx.now()
  const plan = planAccessToken(now, ctx.config.auth.accessTokenTtlSeconds)
  const issued = { jti: plan.jti, expiresAt: plan.expiresAt }
  // Recorded before signing: a replay or revocation that lands meanwhile still catches it.
  if (grant.family) ctx.store.recordAccessToken(grant.family.id, issued)
  if (grant.fromCode !== undefined)
    ctx.store.recordIssued(grant.fromCode, { accessToken: issued, familyId: grant.family?.id })
  let refreshToken: string | undefined
  if (grant.family) {
    refreshToken = randomSecret()
    ctx.store.saveRefreshToken({
      hash: hashToken(refreshToken),
      familyId: grant.family.id,
      expiresAt: now + ctx.config.auth.refreshTokenTtlSeconds * 1000,
    })
  }
  const accessToken = await mintAccessToken(
    ctx,
    plan,
    {
      issuer: ctx.config.auth.publicUrl,
      audience: grant.audience,
      sub: grant.sub,
      clientId: grant.clientId,
      scopes: grant.scopes,
      ...(ctx.tokenBinding ? { jkt: ctx.tokenBinding.jkt } : {}),
    },
    grant.grantType,
  )
  return {
    access_token: accessToken,
    token_type: ctx.tokenBinding ? 'DPoP' : 'Bearer',
    expires_in: plan.expiresIn,
    scope: grant.scopes.join(' '),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  }
}
