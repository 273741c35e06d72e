// The signing key of access tokens and the public JWKS that verifiers fetch
// (RFC 9068 §2.1: asymmetric, never `none`; §4: advertised through jwks_uri).

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

export interface SigningKeys {
  readonly alg: 'ES256'
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** The public JWKS document served at /jwks. */
  readonly jwks: { keys: JWK[] }
}

/** A fresh ES256 key pair; its kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKeys(): Promise<SigningKeys> {
  const alg = 'ES256'
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { alg, kid, privateKey, publicKey, jwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] } }
}
