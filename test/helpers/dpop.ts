// A DPoP client key for tests (RFC 9449 §4): signs proofs for one request
// each, with the claims a test wants to break.

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { randomUUID } from 'node:crypto'
import { accessTokenHash } from '../../src/shared/dpop/thumbprint.js'

export interface ProofClaims {
  readonly htm?: string
  readonly htu?: string
  /** Seconds since the epoch; default now (the given clock, or Date.now()). */
  readonly iat?: number
  readonly jti?: string
  readonly nonce?: string
  /** The access token whose hash goes in `ath`. */
  readonly accessToken?: string
}

export interface DpopKey {
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  readonly jkt: string
  readonly publicJwk: JWK
  proof(claims: ProofClaims & { readonly htm: string; readonly htu: string }): Promise<string>
}

export async function dpopKey(now: () => number = Date.now, alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return {
    jkt: await calculateJwkThumbprint(publicJwk),
    publicJwk,
    proof: ({ htm, htu, iat, jti, nonce, accessToken }) =>
      new SignJWT({
        jti: jti ?? randomUUID(),
        htm,
        htu,
        iat: iat ?? Math.floor(now() / 1000),
        ...(nonce === undefined ? {} : { nonce }),
        ...(accessToken === undefined ? {} : { ath: accessTokenHash(accessToken) }),
      })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk })
        .sign(privateKey),
  }
}
