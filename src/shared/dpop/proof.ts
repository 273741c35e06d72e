// RFC 9449 §4: the DPoP proof, a JWT the client signs with its own key for one
// HTTP request, and the checks of §4.3 that the authorization server (§5) and
// the resource server (§7) both make. Each failed check has its own message;
// the caller turns the outcome into its wire format.

import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { decodeProtectedHeader, errors, jwtVerify, type JWK, type JWTPayload } from 'jose'
import type { NonceSource } from './nonces.js'
import type { ReplayCache } from './replay-cache.js'
import { accessTokenHash, jwkThumbprint } from './thumbprint.js'

/** RFC 9449 §4.2 / §5.1: asymmetric algorithms only; never `none` nor an HMAC (the proof carries the key). */
export const DPOP_ALGS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const
export type DpopAlg = (typeof DPOP_ALGS)[number]

/** RFC 9449 §4.3 point 11: how far a proof's iat may be from the server's clock. */
export const PROOF_WINDOW_SECONDS = 60
/** A proof is one compact JWS with one public key: far below this. */
const MAX_PROOF_LENGTH = 8 * 1024
/** Bounds what the replay cache keeps per proof. */
const MAX_JTI_LENGTH = 256
/** RFC 7517 §6.2.2 / §6.3.2 / §6.4: members that only a private or secret key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const PUBLIC_KEY_TYPES = new Set(['EC', 'RSA', 'OKP'])

/** What the server expects of a proof for this request. */
export interface ProofExpectations {
  /** The request's method (`htm`). */
  readonly method: string
  /** The request's URL as the server's public URL names it, without query or fragment (`htu`). */
  readonly url: string
  /** Milliseconds since the epoch. */
  readonly now: number
  readonly replay: ReplayCache
  /** Set when the server requires nonces (§8, §9). */
  readonly nonces?: NonceSource
  /** At the resource server: the access token the proof must carry the hash of (`ath`, §7). */
  readonly accessToken?: string
  /** At the resource server: the thumbprint the access token is bound to (its `cnf.jkt`, §6.1). */
  readonly boundJkt?: string
  readonly windowSeconds?: number
}

export interface AcceptedProof {
  /** RFC 7638 thumbprint of the proof's key: the `cnf.jkt` a bound token carries (§6.1). */
  readonly jkt: string
  readonly jti: string
}

export type ProofError = 'invalid_dpop_proof' | 'use_dpop_nonce'

export type ProofOutcome =
  | { readonly ok: true; readonly proof: AcceptedProof }
  | { readonly ok: false; readonly error: ProofError; readonly description: string }

const refuse = (description: string, error: ProofError = 'invalid_dpop_proof'): ProofOutcome => ({
  ok: false,
  error,
  description,
})

/**
 * Checks the `DPoP` header values of one request (RFC 9449 §4.3, in its
 * order), then remembers the proof so it cannot be used again. `headers` are
 * the request's `DPoP` header lines, each apart (Node's `headersDistinct`).
 */
export async function verifyDpopProof(
  headers: readonly string[] | undefined,
  expect: ProofExpectations,
): Promise<ProofOutcome> {
  // §4.3 point 1: exactly one DPoP header (a list in one line is as many).
  if (headers === undefined || headers.length === 0) return refuse('the request has no DPoP proof header')
  if (headers.length > 1 || /[\s,]/.test(headers[0]!.trim())) return refuse('send exactly one DPoP header')
  const jwt = headers[0]!.trim()
  if (jwt.length > MAX_PROOF_LENGTH) return refuse('the DPoP proof is too long')
  // §4.3 point 2: a well-formed JWT.
  const header = protectedHeader(jwt)
  if (header === undefined) return refuse('the DPoP proof is not a well-formed JWT (compact JWS)')
  // §4.3 point 4: typ is dpop+jwt.
  if (header.typ !== 'dpop+jwt') return refuse('the DPoP proof header typ must be dpop+jwt (RFC 9449 section 4.2)')
  // §4.3 point 5: an asymmetric algorithm the server supports; never none or HMAC.
  if (!isDpopAlg(header.alg))
    return refuse(`the DPoP proof alg must be one of ${DPOP_ALGS.join(', ')} (RFC 9449 section 4.3)`)
  // §4.3 point 7: the jwk header is a public key.
  const jwk = header.jwk
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    return refuse('the DPoP proof header must carry the public key as jwk')
  if (PRIVATE_MEMBERS.some((member) => member in jwk))
    return refuse('the DPoP proof jwk must be a public key: it contains private key material')
  if (typeof jwk.kty !== 'string' || !PUBLIC_KEY_TYPES.has(jwk.kty))
    return refuse('the DPoP proof jwk must be an EC, RSA or OKP public key')
  // RFC 9449 §11: verifying costs the server; an RSA key past 4096 bits or with a long exponent is refused unread.
  if (jwk.kty === 'RSA' && !isModestRsaKey(jwk))
    return refuse('the DPoP proof jwk is an RSA key over 4096 bits or with an exponent over 32 bits')
  // RFC 7638 §3: the thumbprint covers every member that makes the public key, so it names the key.
  let jkt: string
  try {
    jkt = await jwkThumbprint(jwk)
  } catch {
    return refuse('the DPoP proof jwk lacks the members of its key type (RFC 7638 section 3.2)')
  }
  // §4.3 point 6: the signature verifies with that key.
  const payload = await verifiedPayload(jwt, jwk, jkt, header.alg)
  if (typeof payload === 'string') return refuse(payload)
  // §4.3 point 3: the required claims, with their types.
  const { jti, htm, htu, iat } = payload
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    return refuse(`the DPoP proof needs a jti claim of 1 to ${MAX_JTI_LENGTH} characters`)
  if (typeof htm !== 'string') return refuse('the DPoP proof needs an htm claim')
  if (typeof htu !== 'string') return refuse('the DPoP proof needs an htu claim')
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('the DPoP proof needs a numeric iat claim')
  // §4.3 point 8: htm is the request's method.
  if (htm !== expect.method) return refuse(`the DPoP proof htm must be ${expect.method}, the method of this request`)
  // §4.3 point 9: htu is this request's URL, without query and fragment (normalised, RFC 3986 §6).
  const expectedUrl = normaliseHtu(expect.url)
  if (normaliseHtu(htu) !== expectedUrl)
    return refuse(`the DPoP proof htu must be ${expectedUrl}, the URL of this request`)
  // §4.3 point 10, §8, §9: the server's current nonce, when it requires one.
  if (expect.nonces !== undefined) {
    const { nonce } = payload
    if (nonce === undefined)
      return refuse('this server requires a nonce in DPoP proofs: use the DPoP-Nonce header', 'use_dpop_nonce')
    if (typeof nonce !== 'string' || !expect.nonces.accepts(nonce))
      return refuse('the DPoP proof nonce is not current: use the DPoP-Nonce header', 'use_dpop_nonce')
  }
  // §4.3 point 11: created within the window around now.
  const window = expect.windowSeconds ?? PROOF_WINDOW_SECONDS
  const nowSeconds = expect.now / 1000
  if (Math.abs(nowSeconds - iat) > window)
    return refuse(`the DPoP proof iat must be within ${window} seconds of the server's time`)
  // §4.3 point 12, §7: at the resource server, ath is the hash of the access token presented.
  if (expect.accessToken !== undefined) {
    if (payload.ath === undefined) return refuse('the DPoP proof needs an ath claim: the hash of the access token')
    if (payload.ath !== accessTokenHash(expect.accessToken))
      return refuse('the DPoP proof ath does not match the access token (RFC 9449 section 4.3)')
  }
  // §4.3 point 12: the access token is bound to this very key.
  if (expect.boundJkt !== undefined && expect.boundJkt !== jkt)
    return refuse('the DPoP proof is signed with another key than the one the access token is bound to (cnf.jkt)')
  // §11.1: each proof once, within its window (checked last: only valid proofs are remembered).
  const expiresAt = (iat + window) * 1000 + 1
  if (!expect.replay.firstUse(`${jkt}:${jti}`, Math.max(expiresAt, expect.now + 1), expect.now))
    return refuse('the DPoP proof was used before (jti): make a new proof for each request')
  return { ok: true, proof: { jkt, jti } }
}

/** n of at most 4096 bits (683 base64url characters) and e of at most 4 bytes. */
function isModestRsaKey(jwk: JWK): boolean {
  return typeof jwk.n === 'string' && jwk.n.length <= 683 && typeof jwk.e === 'string' && jwk.e.length <= 6
}

function isDpopAlg(alg: unknown): alg is DpopAlg {
  return typeof alg === 'string' && (DPOP_ALGS as readonly string[]).includes(alg)
}

function protectedHeader(jwt: string): ReturnType<typeof decodeProtectedHeader> | undefined {
  if (jwt.split('.').length !== 3) return undefined
  try {
    return decodeProtectedHeader(jwt)
  } catch {
    return undefined
  }
}

/** Keys read from proofs, by thumbprint: a client signs many proofs with one key. Bounded; the oldest goes first. */
const KEY_CACHE_CAP = 10_000
const keyCache = new Map<string, KeyObject>()

function publicKeyOf(jwk: JWK, jkt: string): KeyObject {
  const known = keyCache.get(jkt)
  if (known) return known
  // node:crypto reads a JWK many times faster than WebCrypto's importKey; jose checks it fits alg.
  const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
  if (keyCache.size >= KEY_CACHE_CAP) keyCache.delete(keyCache.keys().next().value!)
  keyCache.set(jkt, key)
  return key
}

/** The payload once the signature is verified with the proof's own key, or why not. */
async function verifiedPayload(jwt: string, jwk: JWK, jkt: string, alg: DpopAlg): Promise<JWTPayload | string> {
  let key: KeyObject
  try {
    key = publicKeyOf(jwk, jkt)
  } catch {
    return `the DPoP proof jwk is not a valid ${alg} public key`
  }
  try {
    // The window is checked here by the caller, not by jose's exp/nbf rules.
    return (await jwtVerify(jwt, key, { algorithms: [alg], typ: 'dpop+jwt' })).payload
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) return 'the DPoP proof signature is invalid'
    if (error instanceof errors.JOSEError) return `the DPoP proof is not valid: ${error.message}`
    throw error
  }
}

/** RFC 3986 §6.2.2: scheme and host lower-cased, default port and dot segments gone, percent-encoding normalised. */
export function normaliseHtu(raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  const path = url.pathname.replace(/%[0-9a-f]{2}/gi, (escape) => {
    const char = String.fromCharCode(Number.parseInt(escape.slice(1), 16))
    // §6.2.2.2: unreserved characters are decoded, other escapes upper-cased.
    return /[A-Za-z0-9\-._~]/.test(char) ? char : escape.toUpperCase()
  })
  return `${url.protocol}//${url.host}${path}`
}
