// Step 7: Resource server checks the bearer token (RFC 6750 §2.1, RFC 9068 §4, RFC 7662)

import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose'
import type { JWTPayload, JWTVerifyGetKey } from 'jose'
import { basicAuthorization } from '../shared/basic-auth.js'
import type { LabConfig } from '../shared/config.js'
import {
  invalidRequest,
  invalidToken,
  noCredentials,
  sendBearerError,
  sendTemporarilyUnavailable,
  type BearerError,
} from '../shared/bearer-errors.js'

/** What the rest of the resource server may know about the caller. */
export interface AccessTokenClaims {
  readonly sub: string
  readonly client_id: string
  /** Space-delimited scope tokens (RFC 6749 §3.3); empty when the token has none. */
  readonly scope: string
  /** Always set in `jwt` mode; in `introspect` mode, set when the AS reports them. */
  readonly exp?: number
  readonly iat?: number
  readonly jti?: string
  readonly iss?: string
  readonly aud?: string | readonly string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `verifyToken` once the bearer token has been accepted. */
    accessToken?: AccessTokenClaims
  }
}

/** Resolves to the token's claims, or throws `TokenRejected` / `TokenCheckUnavailable`. */
export type CheckToken = (token: string) => Promise<AccessTokenClaims>

export interface TokenCheckDeps {
  /** Back-channel fetch for the JWKS and introspection; tests substitute their own. */
  readonly fetch?: typeof fetch
  /** The clock for `exp`; tests freeze it. */
  readonly now?: () => Date
}

/** The token is not acceptable: 401 `invalid_token`; the message is the public description. */
export class TokenRejected extends Error {
  override name = 'TokenRejected'
}

/** The token could not be checked because the authorization server is unreachable: 503. */
export class TokenCheckUnavailable extends Error {
  override name = 'TokenCheckUnavailable'
}

// RFC 9068 §2.1/§4: asymmetric signatures only; `none` and HMAC never verify.
export const ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'PS256']
// RFC 9068 §4 allows "a few minutes" of leeway; a lab on one machine needs little.
export const CLOCK_TOLERANCE_SECONDS = 5
const TIMEOUT_MS = 5000
const JWKS_COOLDOWN_MS = 1000

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Picks the checker named by `config.resource.tokenCheck`; build it once per app.
 * In `jwt` mode a token that is not a JWT (an opaque one, from a client
 * registered for opaque tokens) can only be read by its issuer, so it is
 * checked by introspection (RFC 7662) instead.
 */
export function createTokenChecker(config: LabConfig, deps: TokenCheckDeps = {}): CheckToken {
  if (config.resource.tokenCheck === 'introspect') return introspectionChecker(config, deps)
  const checkJwt = jwtChecker(config, deps)
  const checkOpaque = introspectionChecker(config, deps)
  return async (token) => {
    // RFC 7515 §7.1: a JWS in compact serialization has exactly three dot-separated parts.
    if (token.split('.').length === 3) return checkJwt(token)
    try {
      return await checkOpaque(token)
    } catch (error) {
      // An authorization server without introspection: the token can only be a malformed JWT.
      if (error instanceof IntrospectionNotOffered) throw new TokenRejected('the access token is malformed: expected a signed JWT', { cause: error })
      throw error
    }
  }
}

/** The authorization server has no introspection endpoint (404). */
class IntrospectionNotOffered extends TokenCheckUnavailable {
  override name = 'IntrospectionNotOffered'
}

/** preHandler: accept the request's bearer token or answer per RFC 6750 §3. */
export function verifyToken(checkToken: CheckToken): preHandlerAsyncHookHandler {
  return async function verifyBearerToken(request, reply) {
    const token = readBearerToken(request)
    if (typeof token !== 'string') return sendBearerError(reply, token)
    try {
      request.accessToken = await checkToken(token)
    } catch (error) {
      return refuse(request, reply, error)
    }
    return undefined
  }
}

function refuse(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof TokenRejected) {
    request.log.info({ reason: error.message }, 'access token refused')
    // RFC 9068 §4 / RFC 6750 §3.1: any failed check is `invalid_token`.
    return sendBearerError(reply, invalidToken(error.message))
  }
  if (error instanceof TokenCheckUnavailable) {
    request.log.error({ err: error.cause ?? error }, error.message)
    return sendTemporarilyUnavailable(reply, error.message)
  }
  throw error
}

/** The token from `Authorization: Bearer`, or why the request is refused. */
export function readBearerToken(request: FastifyRequest): string | BearerError {
  const header = request.headers.authorization ?? ''
  const elsewhere = hasAccessTokenParam(request.query) || hasAccessTokenParam(request.body)
  const space = header.indexOf(' ')
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') {
    // Only the header method is supported (RFC 9728 bearer_methods_supported);
    // a token in the URL leaks into logs and history (RFC 6750 §5.3).
    if (elsewhere) {
      return invalidRequest('send the access token in the Authorization header only (RFC 6750 section 2.1)')
    }
    // RFC 6750 §3.1: no authentication information, so no error code.
    return noCredentials(
      header === ''
        ? 'this resource needs an access token: send Authorization: Bearer <token>'
        : 'only the Bearer authorization scheme is accepted: send Authorization: Bearer <token>',
    )
  }
  // RFC 6750 §2: a client MUST NOT use more than one method in a request.
  if (elsewhere) return invalidRequest('the access token was sent by more than one method')
  const token = space === -1 ? '' : header.slice(space).replace(/^ +/, '')
  if (!B64TOKEN.test(token)) return invalidRequest('malformed Authorization header: expected Bearer <token>')
  return token
}

function hasAccessTokenParam(params: unknown): boolean {
  return typeof params === 'object' && params !== null && 'access_token' in params
}

// ---- JWT mode: verify locally with the authorization server's published keys

/** RFC 9068 §4 validation against the JWKS at `{auth.internalUrl}/jwks`. */
export function jwtChecker(config: LabConfig, deps: TokenCheckDeps = {}): CheckToken {
  const issuer = config.auth.publicUrl
  const audience = config.resource.publicUrl
  // One key set per app: jose caches the keys and refetches only on an unknown
  // kid (after a cooldown) or when the cache is older than its max age. The
  // cooldown is 1 s, not jose's 30 s: after a key rotation the next token with
  // the new kid must pass at once, and one fetch a second still caps the load
  // that tokens with made-up kids can cause.
  const jwks = createRemoteJWKSet(new URL(`${config.auth.internalUrl}/jwks`), {
    timeoutDuration: TIMEOUT_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    ...(deps.fetch === undefined ? {} : { [customFetch]: deps.fetch }),
  })
  const getKey = keysOrUnavailable(jwks)
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer, // RFC 9068 §4: exactly the issuer
        audience, // RFC 9068 §4, RFC 9700 §2.3: this resource server's identifier
        typ: 'at+jwt', // jose compares media types, so `application/at+jwt` passes too
        algorithms: ALGORITHMS,
        // RFC 9068 §2.2: required claims (iss and aud are required by the options above)
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
        currentDate: deps.now?.(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      })
      return claimsFromJwt(payload)
    } catch (error) {
      if (!(error instanceof errors.JOSEError)) throw error
      throw new TokenRejected(describeJoseFailure(error, issuer, audience), { cause: error })
    }
  }
}

// A missing kid is the token's fault; any other failure while fetching or
// importing the JWKS means the authorization server's keys are unavailable.
function keysOrUnavailable(jwks: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await jwks(header, token)
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error
      throw new TokenCheckUnavailable('cannot check the token: the authorization server keys are unavailable', {
        cause: error,
      })
    }
  }
}

function describeJoseFailure(error: errors.JOSEError, issuer: string, audience: string): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired (exp)'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `the access token lacks the required ${error.claim} claim`
    if (error.claim === 'typ') {
      return 'the token is not a JWT access token: its typ header must be at+jwt (RFC 9068 section 4)'
    }
    if (error.claim === 'iss') return `the access token was not issued by ${issuer} (iss)`
    if (error.claim === 'aud') return `the access token is not meant for ${audience} (aud)`
    if (error.claim === 'nbf') return 'the access token is not valid yet (nbf)'
    return `the access token has an invalid ${error.claim} claim`
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the access token signature is invalid'
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return `the token alg is not accepted (accepted: ${ALGORITHMS.join(', ')})`
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return 'no key of the authorization server matches the token (kid)'
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'several keys of the authorization server match the token (kid)'
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return 'the access token is malformed: expected a signed JWT'
  }
  return 'the access token could not be verified'
}

function claimsFromJwt(payload: JWTPayload): AccessTokenClaims {
  const { sub, client_id: clientId, scope = '', jti, iss, aud, exp, iat } = payload
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof jti !== 'string' || typeof scope !== 'string') {
    throw new TokenRejected('the access token claims sub, client_id, jti and scope must be strings')
  }
  return { sub, client_id: clientId, scope, jti, iss, aud, exp, iat }
}

// ---- Introspection mode: ask the authorization server each time (RFC 7662)

const ACCESS_TOKEN_TYPES = new Set(['bearer', 'access_token', 'urn:ietf:params:oauth:token-type:access_token'])

/** Checks each token with `POST {auth.internalUrl}/introspect`, so revocation is immediate. */
export function introspectionChecker(config: LabConfig, deps: TokenCheckDeps = {}): CheckToken {
  const endpoint = `${config.auth.internalUrl}/introspect`
  const { introspectionClientId, introspectionClientSecret } = config.resource
  const authorization = basicAuthorization(introspectionClientId, introspectionClientSecret)
  const fetchImpl = deps.fetch ?? fetch
  return async (token) => {
    const answer = await introspect(fetchImpl, endpoint, authorization, token)
    return claimsFromIntrospection(answer, config, deps.now?.() ?? new Date())
  }
}


async function introspect(
  fetchImpl: typeof fetch,
  endpoint: string,
  authorization: string,
  token: string,
): Promise<Record<string, unknown>> {
  let response: Response
  try {
    // RFC 7662 §2.1: a form POST, authenticated as the resource server.
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { authorization, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (cause) {
    throw new TokenCheckUnavailable('cannot check the token: the authorization server is unreachable', { cause })
  }
  if (response.status === 404) throw new IntrospectionNotOffered('cannot check the token: the authorization server has no introspection endpoint')
  const body: unknown = response.status === 200 ? await response.json().catch(() => undefined) : undefined
  if (typeof body !== 'object' || body === null || typeof (body as { active?: unknown }).active !== 'boolean') {
    throw new TokenCheckUnavailable(
      `cannot check the token: the introspection endpoint answered ${response.status} without a valid response`,
    )
  }
  return body as Record<string, unknown>
}

function claimsFromIntrospection(answer: Record<string, unknown>, config: LabConfig, now: Date): AccessTokenClaims {
  // RFC 7662 §2.2: inactive covers expired, revoked and unknown alike.
  if (answer.active !== true) throw new TokenRejected('the access token is not active (expired, revoked or unknown)')
  const { sub, client_id: clientId, scope = '', exp, iat, jti, iss, aud, token_type: tokenType } = answer
  // The AS searches every token type (RFC 7662 §2.1), so a refresh token could come back active.
  if (tokenType !== undefined && !ACCESS_TOKEN_TYPES.has(String(tokenType).toLowerCase())) {
    throw new TokenRejected('the token is not an access token (token_type)')
  }
  if (iss !== undefined && iss !== config.auth.publicUrl) {
    throw new TokenRejected(`the access token was not issued by ${config.auth.publicUrl} (iss)`)
  }
  // RFC 9700 §2.3: refuse a token meant for another resource server.
  if (aud !== undefined && !audienceIncludes(aud, config.resource.publicUrl)) {
    throw new TokenRejected(`the access token is not meant for ${config.resource.publicUrl} (aud)`)
  }
  if (typeof exp === 'number' && exp <= now.getTime() / 1000 - CLOCK_TOLERANCE_SECONDS) {
    throw new TokenRejected('the access token has expired (exp)')
  }
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof scope !== 'string') {
    throw new TokenRejected('the introspection response lacks sub, client_id or a string scope')
  }
  return {
    sub,
    client_id: clientId,
    scope,
    exp: typeof exp === 'number' ? exp : undefined,
    iat: typeof iat === 'number' ? iat : undefined,
    jti: typeof jti === 'string' ? jti : undefined,
    iss: typeof iss === 'string' ? iss : undefined,
    aud: typeof aud === 'string' || Array.isArray(aud) ? (aud as string | string[]) : undefined,
  }
}

function audienceIncludes(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience))
}
