// Step 7: What checking a bearer token yields (the caller's claims) and how it fails (RFC 6750 §3.1)

import type { DpopConfirmation } from '../shared/dpop/cnf.js'

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
  /** RFC 9449 §6: set when the token is bound to a DPoP key. */
  readonly cnf?: DpopConfirmation
}

/**
 * Resolves to the token's claims, or throws `TokenRejected` /
 * `TokenCheckUnavailable`. The audience is not checked here but by the route
 * that serves the resource (`verifyToken`), since each route is its own
 * resource server (RFC 8707): `/resource` the built-in one, `/mcp` its own.
 */
export type CheckToken = (token: string) => Promise<AccessTokenClaims>

/**
 * RFC 9068 §4, RFC 9700 §2.3, RFC 8707: the token must be meant for this
 * resource server: `aud` is its identifier or a list holding it. An
 * introspection answer may leave `aud` out (RFC 7662 §2.2); a JWT always has
 * one (the JWT check requires it).
 */
export function checkAudience(claims: AccessTokenClaims, audience: string): void {
  const { aud } = claims
  if (aud === undefined || aud === audience || (Array.isArray(aud) && aud.includes(audience))) return
  throw new TokenRejected(`the access token is not meant for ${audience} (aud)`)
}

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

// RFC 9068 §4 allows "a few minutes" of leeway; a lab on one machine needs little.
export const CLOCK_TOLERANCE_SECONDS = 5
/** How long a back-channel call (JWKS fetch, introspection) may take. */
export const TIMEOUT_MS = 5000
