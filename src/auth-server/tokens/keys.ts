// The signing keys of access and ID tokens and the public JWKS that verifiers
// fetch (RFC 9068 §2.1: asymmetric, never `none`; §4: advertised through jwks_uri).
// A key ring: one current key signs; after a rotation the previous key stays
// published, so tokens it signed keep verifying (RFC 7517 §5, OIDC Core §10.1.1).

import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'
import type { SigningAlg } from '../../shared/enumerations.js'

export { SIGNING_ALGS as SIGNING_ALGORITHMS } from '../../shared/enumerations.js'
export type SigningAlgorithm = SigningAlg

export interface SigningKeys {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** The public JWKS document served at /jwks. */
  readonly jwks: { keys: JWK[] }
}

/**
 * The authorization server's keys. Its `SigningKeys` fields always describe the
 * current key (read them at signing time, never cache them); `jwks` lists the
 * current key first, then the one it replaced.
 */
export interface KeyRing extends SigningKeys {
  /** Every published key, for verifying tokens this server signed (any kid). */
  readonly verificationKeys: JWTVerifyGetKey
  /** A new key becomes current; the previous current one stays published until the next rotation. */
  rotate(): Promise<{ readonly kid: string }>
  /** The kids in /jwks, current first. */
  publishedKids(): string[]
}

/** A fresh key pair (ES256 by default); its kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKeys(alg: SigningAlgorithm = 'ES256'): Promise<SigningKeys> {
  // RFC 9068 §2.1: RS256 must be possible; RSA keys of 2048 bits as RFC 7518 §3.3 requires.
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { alg, kid, privateKey, publicKey, jwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] } }
}

/** A key pair as stored by a durable store: both halves as JWKs. */
export interface StoredSigningKeys {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly privateJwk: JWK
  readonly publicJwk: JWK
}

/** The keys as JWKs (they must have been generated extractable, as `generateSigningKeys` does). */
export async function exportSigningKeys(keys: SigningKeys): Promise<StoredSigningKeys> {
  // The published entry (kid, alg, use included): importSigningKeys publishes it again as it is.
  const publicJwk = keys.jwks.keys[0] ?? {
    ...(await exportJWK(keys.publicKey)),
    kid: keys.kid,
    alg: keys.alg,
    use: 'sig',
  }
  return { alg: keys.alg, kid: keys.kid, privateJwk: await exportJWK(keys.privateKey), publicJwk }
}

/** The keys back from their JWKs, extractable again so they can be stored again. */
export async function importSigningKeys(stored: StoredSigningKeys): Promise<SigningKeys> {
  const privateKey = (await importJWK(stored.privateJwk, stored.alg, { extractable: true })) as CryptoKey
  const publicKey = (await importJWK(stored.publicJwk, stored.alg, { extractable: true })) as CryptoKey
  return { alg: stored.alg, kid: stored.kid, privateKey, publicKey, jwks: { keys: [{ ...stored.publicJwk }] } }
}

export interface KeyRingOptions {
  /** A key still published from before (e.g. reloaded from a durable store). */
  readonly previous?: SigningKeys
  /** Called after each rotation, e.g. to persist the new key. */
  readonly onRotate?: (current: SigningKeys, previous: SigningKeys) => void | Promise<void>
}

/** A ring starting with `initial` as its current key; rotations keep its algorithm. */
export function createKeyRing(initial: SigningKeys, options: KeyRingOptions = {}): KeyRing {
  let current = initial
  let previous: SigningKeys | undefined = options.previous
  let jwks = { keys: [...initial.jwks.keys, ...(previous?.jwks.keys ?? [])] }
  let local = createLocalJWKSet(jwks)
  return {
    get alg() {
      return current.alg
    },
    get kid() {
      return current.kid
    },
    get privateKey() {
      return current.privateKey
    },
    get publicKey() {
      return current.publicKey
    },
    get jwks() {
      return jwks
    },
    verificationKeys: (header, token) => local(header, token),
    async rotate() {
      const next = await generateSigningKeys(current.alg)
      previous = current
      current = next
      jwks = { keys: [...current.jwks.keys, ...previous.jwks.keys] }
      local = createLocalJWKSet(jwks)
      await options.onRotate?.(current, previous)
      return { kid: current.kid }
    },
    publishedKids: () => jwks.keys.map((k) => k.kid as string),
  }
}
