// Step 7: Resource server reads the bearer token and accepts or refuses the request (RFC 6750 §2.1, §3)

import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import {
  invalidRequest,
  invalidToken,
  noCredentials,
  sendBearerError,
  sendTemporarilyUnavailable,
  type BearerError,
} from '../shared/bearer-errors.js'
import { IntrospectionNotOffered, introspectionChecker } from './check-introspection.js'
import { jwtChecker } from './check-jwt.js'
import { checkAudience, TokenCheckUnavailable, TokenRejected } from './check-token.js'
import { refuseBoundBearer, usesDpopScheme, verifyDpopRequest, type ResourceDpop } from './dpop.js'
import type { AccessTokenClaims, CheckToken, TokenCheckDeps } from './check-token.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `verifyToken` once the bearer token has been accepted. */
    accessToken?: AccessTokenClaims
  }
}

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
  const checkNotJwt: CheckToken = async (token) => {
    try {
      return await checkOpaque(token)
    } catch (error) {
      // An authorization server without introspection: the token can only be a malformed JWT.
      if (error instanceof IntrospectionNotOffered)
        throw new TokenRejected('the access token is malformed: expected a signed JWT', { cause: error })
      throw error
    }
  }
  // Not an async function: one returning checkJwt's promise would wrap it in
  // another, two more microtask hops on every request.
  return (token) => (isCompactJws(token) ? checkJwt(token) : checkNotJwt(token))
}

/** RFC 7515 §7.1: a JWS in compact serialization has exactly three dot-separated parts (counted without splitting). */
function isCompactJws(token: string): boolean {
  const first = token.indexOf('.')
  const second = first === -1 ? -1 : token.indexOf('.', first + 1)
  return second !== -1 && !token.includes('.', second + 1)
}

/**
 * What a route adds to every challenge it sends: where its protected resource
 * metadata is (RFC 9728 §5.1) and the scope a client should ask for (RFC 6750 §3).
 */
export interface ChallengeHints {
  readonly resourceMetadata?: string
  readonly scope?: string
}

export interface VerifyOptions {
  readonly hints?: ChallengeHints
  /** DPoP-bound tokens with their proofs too (RFC 9449 §7, dpop.ts). */
  readonly dpop?: ResourceDpop
}

/**
 * preHandler: accept the request's bearer token or answer per RFC 6750 §3;
 * with `dpop`, also DPoP-bound tokens with their proofs (RFC 9449 §7).
 * `audience` is the identifier of the resource server this route is (RFC
 * 8707): a token meant for another is `invalid_token` (RFC 9068 §4, RFC 9700 §2.3).
 */
export function verifyToken(
  checkToken: CheckToken,
  audience: string,
  { hints = {}, dpop }: VerifyOptions = {},
): preHandlerAsyncHookHandler {
  const checkForAudience: CheckToken = async (token) => {
    const claims = await checkToken(token)
    checkAudience(claims, audience)
    return claims
  }
  return async function verifyBearerToken(request, reply) {
    if (dpop && usesDpopScheme(request)) return verifyDpopRequest(dpop, checkForAudience, request, reply)
    const token = readBearerToken(request)
    if (typeof token !== 'string') return sendBearerError(reply, { ...token, ...hints })
    try {
      // checkForAudience written out: one async layer less on every request (the DPoP path above uses it).
      const claims = await checkToken(token)
      checkAudience(claims, audience)
      request.accessToken = claims
    } catch (error) {
      return refuse(request, reply, error, hints)
    }
    // RFC 9449 §7.2: a DPoP-bound token is not a bearer token.
    if (request.accessToken.cnf !== undefined) return refuseBoundBearer(reply)
    return undefined
  }
}

function refuse(request: FastifyRequest, reply: FastifyReply, error: unknown, hints: ChallengeHints): FastifyReply {
  if (error instanceof TokenRejected) {
    request.log.info({ reason: error.message }, 'access token refused')
    // RFC 9068 §4 / RFC 6750 §3.1: any failed check is `invalid_token`.
    return sendBearerError(reply, { ...invalidToken(error.message), ...hints })
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
