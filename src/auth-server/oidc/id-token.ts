// OpenID Connect: the ID token of the authorization code flow (OIDC Core
// §2, §3.1.3.6), issued beside the access token when `openid` was granted.

import { createHash } from 'node:crypto'
import { signJwt } from '../tokens/jws.js'
import type { AuthServerContext } from '../context.js'

// OIDC Core §3.1.3.6: at_hash is the left half of the hash of the access
// token, with the hash of the ID token's alg (SHA-512 for Ed25519).
export function accessTokenHash(accessToken: string, alg: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(accessToken, 'ascii')
    .digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

export async function signIdToken(
  ctx: AuthServerContext,
  grant: { sub: string; clientId: string; authTime: number; nonce?: string; accessToken: string },
): Promise<string> {
  const iat = Math.floor(ctx.now() / 1000)
  const payload = await ctx.extensions.claimsBeforeSigning(
    'id_token',
    {
      iss: ctx.config.auth.publicUrl,
      sub: grant.sub,
      aud: grant.clientId,
      iat,
      exp: iat + ctx.config.auth.accessTokenTtlSeconds,
      auth_time: grant.authTime,
      at_hash: accessTokenHash(grant.accessToken, ctx.keys.alg),
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    },
    { grantType: 'authorization_code', clientId: grant.clientId },
  )
  // Header and key read together, after the hook's await: a rotation meanwhile cannot mismatch them.
  return signJwt(ctx.keys, 'JWT', payload)
}
