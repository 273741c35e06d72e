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
  try {
    await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: now })
    return { status: 'valid', detail: 'the signature checks against a key of the authorization server\u2019s JWKS' }
  } catch (error) {
    return failure(error)
  }
}

function failure(error: unknown): SignatureCheck {
  if (error instanceof errors.JWTExpired)
    return { status: 'expired', detail: 'the signature is good but the token has expired (exp)' }
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
