// Step 7: Resource server verifies a JWT access token with the authorization server's published keys (RFC 9068 §4)

import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose'
import type { JWTPayload, JWTVerifyGetKey } from 'jose'
import type { LabConfig } from '../shared/config.js'
import { VERIFY_ALGS } from '../shared/enumerations.js'
import { dpopConfirmation } from '../shared/dpop/cnf.js'
import { CLOCK_TOLERANCE_SECONDS, TIMEOUT_MS, TokenCheckUnavailable, TokenRejected } from './check-token.js'
import type { AccessTokenClaims, CheckToken, TokenCheckDeps } from './check-token.js'

// RFC 9068 §2.1/§4: asymmetric signatures only; `none` and HMAC never verify.
export const ALGORITHMS: string[] = [...VERIFY_ALGS]
const JWKS_COOLDOWN_MS = 1000

/** RFC 9068 §4 validation against the JWKS at `{auth.internalUrl}/jwks`. */
export function jwtChecker(config: LabConfig, deps: TokenCheckDeps = {}): CheckToken {
  const issuer = config.auth.publicUrl
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
        // aud: required here, compared with the route's identifier by verifyToken (checkAudience).
        typ: 'at+jwt', // jose compares media types, so `application/at+jwt` passes too
        algorithms: ALGORITHMS,
        // RFC 9068 §2.2: required claims (iss is required by the option above)
        requiredClaims: ['aud', 'exp', 'iat', 'sub', 'client_id', 'jti'],
        currentDate: deps.now?.(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      })
      return claimsFromJwt(payload)
    } catch (error) {
      if (!(error instanceof errors.JOSEError)) throw error
      throw new TokenRejected(describeJoseFailure(error, issuer), { cause: error })
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

function describeJoseFailure(error: errors.JOSEError, issuer: string): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired (exp)'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `the access token lacks the required ${error.claim} claim`
    if (error.claim === 'typ') {
      return 'the token is not a JWT access token: its typ header must be at+jwt (RFC 9068 section 4)'
    }
    if (error.claim === 'iss') return `the access token was not issued by ${issuer} (iss)`
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
  const cnf = dpopConfirmation(payload.cnf) // RFC 9449 §6.1
  return { sub, client_id: clientId, scope, jti, iss, aud, exp, iat, ...(cnf ? { cnf } : {}) }
}
