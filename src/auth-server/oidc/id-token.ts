// OpenID Connect: the ID token of the authorization code flow (OIDC Core
// §2, §3.1.3.6), issued beside the access token when `openid` was granted.
// Signed RS256 unless the client registered another algorithm
// (idTokenSignedResponseAlg, OIDC Dynamic Client Registration 1.0 §2's
// id_token_signed_response_alg): OpenID Connect Discovery 1.0 §3 makes RS256
// the one every relying party can verify. Access tokens keep SIGNING_ALG.

import { createHash } from 'node:crypto'
import type { ClientRegistration } from '../../shared/config.js'
import type { AuthServerContext } from '../context.js'
import { signJwt } from '../tokens/jws.js'
import { DEFAULT_ID_TOKEN_SIGNING_ALGORITHM, type SigningAlgorithm } from '../tokens/keys.js'
import { releasedClaims } from './scope-claims.js'

/** The client's ID token algorithm (OIDC Dynamic Client Registration 1.0 §2: RS256 by default). */
export function idTokenAlgorithm(client: ClientRegistration | undefined): SigningAlgorithm {
  return client?.idTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_SIGNING_ALGORITHM
}

/**
 * OIDC Core §3.1.3.6: at_hash is the left half of the hash of the access
 * token, hashed with the hash function of the ID token's own `alg`: SHA-256
 * for RS256 and ES256. EdDSA names none; for Ed25519 it is SHA-512, the hash
 * inside Ed25519 (RFC 8032 §5.1), as the OpenID Connect working group settled
 * (openid/connect issue 1125, "_hash algorithm for EdDSA id tokens") and as
 * panva's oidc-token-hash, which openid-client and oidc-provider share, computes.
 */
export function accessTokenHash(accessToken: string, alg: SigningAlgorithm): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(accessToken, 'ascii')
    .digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

export async function signIdToken(
  ctx: AuthServerContext,
  grant: {
    sub: string
    clientId: string
    /** The granted scopes: which of the user's claims the ID token carries. */
    scopes?: readonly string[]
    authTime: number
    nonce?: string
    accessToken: string
  },
): Promise<string> {
  const alg = idTokenAlgorithm(ctx.clients.get(grant.clientId))
  const iat = Math.floor(ctx.now() / 1000)
  const user = ctx.users.bySub(grant.sub)
  const payload = await ctx.extensions.claimsBeforeSigning(
    'id_token',
    {
      // OIDC Core §5.4: the user's claims that the granted scopes release
      // (the same as at /userinfo); the protocol's own claims come after.
      ...releasedClaims(grant.scopes ?? [], ctx.config.scopes, user?.claims ?? {}),
      iss: ctx.config.auth.publicUrl,
      sub: grant.sub,
      aud: grant.clientId,
      iat,
      exp: iat + ctx.config.auth.accessTokenTtlSeconds,
      auth_time: grant.authTime,
      at_hash: accessTokenHash(grant.accessToken, alg),
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    },
    { grantType: 'authorization_code', clientId: grant.clientId },
  )
  // The key is read after the hook's await, as one snapshot of its alg, kid
  // and private key: a rotation meanwhile cannot mismatch them.
  return signJwt(await ctx.keys.currentKeys(alg), 'JWT', payload)
}
