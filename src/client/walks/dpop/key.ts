// The client app's DPoP key for one walk (RFC 9449 §4): an ES256 key pair made
// for the walk, its private half kept server-side in the session's walk data
// as a JWK string, and the proofs it signs, one per request. Synchronous
// (node:crypto), so the inspector's checks can compute thumbprints too.

import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey } from 'node:crypto'
import { sha256Base64url } from '../../../shared/sha256.js'

/** A new P-256 key pair; its private JWK as a string (it goes in the walk's data). */
export function newDpopKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return JSON.stringify(privateKey.export({ format: 'jwk' }))
}

/** The public half of a private EC JWK: what a proof's header carries (RFC 9449 §4.2: never the private key). */
export function publicJwkOf(privateJwk: string): Record<string, string> {
  const { kty, crv, x, y } = JSON.parse(privateJwk) as Record<string, string>
  return { kty: kty ?? '', crv: crv ?? '', x: x ?? '', y: y ?? '' }
}

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
}

/** RFC 7638: the SHA-256 JWK thumbprint, base64url; undefined for a key type it does not define. */
export function jwkThumbprintSync(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === 'string' ? REQUIRED[jwk.kty] : undefined
  if (members === undefined || members.some((m) => typeof jwk[m] !== 'string')) return undefined
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])))
  return createHash('sha256').update(canonical).digest('base64url')
}

export interface ProofRequest {
  /** `htm`: the request's method. */
  readonly htm: string
  /** `htu`: the request's URL without query and fragment. */
  readonly htu: string
  /** The server's `DPoP-Nonce`, when it asked for one (RFC 9449 §8, §9). */
  readonly nonce?: string
  /** At the resource server: the access token, whose hash goes in `ath` (RFC 9449 §4.2). */
  readonly accessToken?: string
  /** A jti of the caller's choosing (an attack replays one); a fresh UUID otherwise. */
  readonly jti?: string
}

/** A DPoP proof (RFC 9449 §4.2): typ dpop+jwt, ES256, the public key in jwk, signed by the private one. */
export function dpopProof(privateJwk: string, request: ProofRequest): string {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwkOf(privateJwk) }
  const claims = {
    jti: request.jti ?? randomUUID(),
    htm: request.htm,
    htu: request.htu,
    iat: Math.floor(Date.now() / 1000),
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    ...(request.accessToken === undefined ? {} : { ath: sha256Base64url(request.accessToken, 'ascii') }),
  }
  const input = `${b64(header)}.${b64(claims)}`
  const key = createPrivateKey({ key: JSON.parse(privateJwk) as JsonWebKey, format: 'jwk' })
  // RFC 7518 §3.4: ES256 signatures are R || S, 64 octets (not DER).
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
