// What a learner must see decoded: the HTTP Basic header (client id and
// secret), the JWT access token (header, claims, and whether its signature
// checks against the authorization server's keys), and form bodies.

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet } from 'jose'

export interface BasicCredentials {
  readonly clientId: string
  readonly clientSecret: string
}

/** Parameters that carry security, highlighted wherever they appear. */
export type SecurityParam =
  | 'state'
  | 'code'
  | 'redirect_uri'
  | 'code_challenge'
  | 'code_verifier'
  | 'iss'
  | 'client_secret'
  | 'access_token'
  | 'refresh_token'
  | 'token'
  | 'password'

const SECURITY_PARAMS: ReadonlySet<string> = new Set<SecurityParam>([
  'state',
  'code',
  'redirect_uri',
  'code_challenge',
  'code_verifier',
  'iss',
  'client_secret',
  'access_token',
  'refresh_token',
  'token',
  'password',
])

export function securityParam(name: string): SecurityParam | undefined {
  return SECURITY_PARAMS.has(name) ? (name as SecurityParam) : undefined
}

/** RFC 6749 §2.3.1: base64 of `form-encoded id ":" form-encoded secret`. */
export function decodeBasic(authorization: string | undefined): BasicCredentials | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(authorization ?? '')?.[1]
  if (encoded === undefined) return undefined
  const pair = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = pair.indexOf(':')
  if (colon === -1) return undefined
  try {
    return { clientId: formDecode(pair.slice(0, colon)), clientSecret: formDecode(pair.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}

export interface FormField {
  readonly name: string
  readonly value: string
  readonly security?: SecurityParam
}

/** A form body (or query) as a table, in the order sent. */
export function formTable(body: string): FormField[] {
  return [...new URLSearchParams(body)].map(([name, value]) => {
    const security = securityParam(name)
    return security ? { name, value, security } : { name, value }
  })
}

export interface DecodedJwt {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
}

export function decodeJwtParts(token: string): DecodedJwt | undefined {
  try {
    return { header: { ...decodeProtectedHeader(token) }, claims: { ...decodeJwt(token) } }
  } catch {
    return undefined
  }
}

export type SignatureStatus = 'valid' | 'invalid' | 'expired' | 'could not check'

export interface SignatureCheck {
  readonly status: SignatureStatus
  readonly detail: string
}

/**
 * Checks the signature (and exp) against a key set. RFC 9068 §4 asks the
 * resource server for more (iss, aud, typ); here the lesson is the signature.
 */
export async function checkSignature(
  token: string,
  jwks: JSONWebKeySet | undefined,
  now = new Date(),
): Promise<SignatureCheck> {
  if (!jwks)
    return {
      status: 'could not check',
      detail: 'the authorization server\u2019s keys (GET /jwks) could not be fetched',
    }
  // The inspector shows the same tokens again at every live update of every
  // page: a signature checked once against this key set stays checked, and
  // only the expiry is compared with the clock again.
  const known = checked.get(token)
  if (known !== undefined && known.jwks === jwks) return expiredSince(known, now) ? EXPIRED : known.check
  let check: SignatureCheck
  try {
    await jwtVerify(token, keySetOf(jwks), { currentDate: now })
    check = { status: 'valid', detail: 'the signature checks against a key of the authorization server\u2019s JWKS' }
  } catch (error) {
    check = failure(error)
  }
  remember(token, { jwks, check, exp: expOf(token) })
  return check
}

interface Checked {
  readonly jwks: JSONWebKeySet
  readonly check: SignatureCheck
  /** The token's exp in seconds, when it has one. */
  readonly exp?: number
}

/** Bounded: the oldest checks are forgotten first (a Map keeps insertion order). */
const CHECKED_MAX = 2_000
const checked = new Map<string, Checked>()
/** One imported key set per JWKS document: importing the keys is most of a check's cost. */
const keySets = new WeakMap<JSONWebKeySet, ReturnType<typeof createLocalJWKSet>>()

const EXPIRED: SignatureCheck = {
  status: 'expired',
  detail: 'the signature is good but the token has expired (exp)',
}

function keySetOf(jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  let set = keySets.get(jwks)
  if (set === undefined) keySets.set(jwks, (set = createLocalJWKSet(jwks)))
  return set
}

function remember(token: string, entry: Checked): void {
  if (checked.size >= CHECKED_MAX) checked.delete(checked.keys().next().value!)
  checked.set(token, entry)
}

function expOf(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token)
    return typeof exp === 'number' ? exp : undefined
  } catch {
    return undefined
  }
}

/** A token checked valid whose exp has passed since (jose compares exp with the clock the same way). */
function expiredSince(known: Checked, now: Date): boolean {
  return known.check.status === 'valid' && known.exp !== undefined && now.getTime() / 1000 >= known.exp
}

function failure(error: unknown): SignatureCheck {
  if (error instanceof errors.JWTExpired) return EXPIRED
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return {
      status: 'invalid',
      detail: 'the signature does not match: the token was changed or signed with another key',
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return { status: 'invalid', detail: 'no key of the JWKS has this token\u2019s kid' }
  if (error instanceof errors.JOSEError) return { status: 'invalid', detail: `${error.code}: ${error.message}` }
  return { status: 'could not check', detail: String(error) }
}
