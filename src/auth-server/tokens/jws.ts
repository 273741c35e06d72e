// Signing the server's JWTs (access tokens, RFC 9068; ID tokens, OIDC Core
// §2) as compact JWS (RFC 7515 §7.1): BASE64URL(header) "." BASE64URL(payload)
// "." BASE64URL(signature). jose's SignJWT signs through WebCrypto, whose
// per-call algorithm normalisation, option checks and promise plumbing were,
// after the signature itself, the largest cost of a token request in the
// profile (bench/profile.ts token). node:crypto's one-shot sign in callback
// form does the same signature on libuv's thread pool, off the event loop,
// for less. Not synchronously, although an ES256 signature takes only ~30 µs:
// measured side by side, the token endpoint served 9,200-9,350 req/s with the
// pool and 7,000-7,300 signing on the event loop, for the same CPU per request,
// since the pool works on the other core. Verification stays with jose.

import { KeyObject, sign, type SignKeyObjectInput } from 'node:crypto'
import type { CryptoKey } from 'jose'
import type { SigningAlgorithm, SigningKeys } from './keys.js'

/** RFC 7518 §3.1 / RFC 8037 §3.1: the digest and signature encoding of each `alg`. */
const ALGORITHM: Record<SigningAlgorithm, { digest: string | null; dsaEncoding?: 'ieee-p1363' }> = {
  // RFC 7518 §3.4: ECDSA signatures are R || S, 32 octets each, not DER.
  ES256: { digest: 'sha256', dsaEncoding: 'ieee-p1363' },
  // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256 (node's default padding for RSA keys).
  RS256: { digest: 'sha256' },
  // RFC 8037 §3.1: Ed25519 hashes internally, so no digest is named.
  EdDSA: { digest: null },
}

const keyObjects = new WeakMap<CryptoKey, KeyObject>()

/** The KeyObject of a WebCrypto key, converted once per key. */
function keyObject(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key)
  if (object === undefined) {
    object = KeyObject.from(key)
    keyObjects.set(key, object)
  }
  return object
}

function signAsync(digest: string | null, data: Buffer, key: SignKeyObjectInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign(digest, data, key, (error, signature) => (error ? reject(error) : resolve(signature)))
  })
}

/**
 * A JWT signed with the keys' current key. `alg`, `kid` and the private key
 * are read together before any await, so a key rotation meanwhile cannot pair
 * one key's `kid` with another's signature.
 */
export async function signJwt(
  keys: SigningKeys,
  typ: string,
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  const { alg, kid, privateKey } = keys
  const { digest, dsaEncoding } = ALGORITHM[alg]
  const header = Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url')
  const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  const key = keyObject(privateKey)
  const signature = await signAsync(
    digest,
    Buffer.from(signingInput),
    dsaEncoding === undefined ? { key } : { key, dsaEncoding },
  )
  return `${signingInput}.${signature.toString('base64url')}`
}
