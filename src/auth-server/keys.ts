// The signing key of access tokens and the public JWKS that verifiers fetch
// (RFC 9068 §2.1: asymmetric, never `none`; §4: advertised through jwks_uri).

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

export type SigningAlgorithm = 'ES256' | 'RS256' | 'EdDSA'

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256', 'EdDSA']

export interface SigningKeys {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** The public JWKS document served at /jwks. */
  readonly jwks: { keys: JWK[] }
}

/** A fresh key pair (ES256 by default); its kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKeys(alg: SigningAlgorithm = 'ES256'): Promise<SigningKeys> {
  // RFC 9068 §2.1: RS256 must be possible; RSA keys of 2048 bits as RFC 7518 §3.3 requires.
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { alg, kid, privateKey, publicKey, jwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] } }
}
