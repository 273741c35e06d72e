// What the token endpoint and its grants share: the request and response
// shapes and the one shape of a grant module. Types only, so that the endpoint
// and the grants import this and never each other.

import type { GrantType } from '../../shared/config.js'
import type { AuthenticatedClient } from '../back-channel/client-auth.js'
import type { AuthServerContext } from '../context.js'

export interface TokenRequestBody {
  readonly grant_type?: string
  readonly code?: string
  readonly redirect_uri?: string
  readonly code_verifier?: string
  readonly refresh_token?: string
  readonly scope?: string
  readonly client_id?: string
  readonly client_secret?: string
  readonly [param: string]: string | undefined
}

export interface TokenResponse {
  readonly access_token: string
  /** RFC 9449 §5: DPoP when the request carried a valid proof. */
  /** RFC 8693 §2.2.1: token exchange names the type of what it issued. */
  readonly issued_token_type?: string
  readonly token_type: 'Bearer' | 'DPoP'
  readonly expires_in: number
  readonly scope: string
  readonly refresh_token?: string
  /** OpenID Connect only. */
  readonly id_token?: string
}

/**
 * Runs after client authentication and the check that the client may use the
 * grant. `body` holds only the grant's own `parameters` (and `grant_type`).
 */
export type GrantHandler = (
  ctx: AuthServerContext,
  client: AuthenticatedClient,
  body: TokenRequestBody,
) => Promise<TokenResponse>

/** One grant, as node-oidc-provider's actions/grants/*.js export it: its type, its parameters, its handler. */
export interface GrantModule<G extends GrantType = GrantType> {
  readonly grantType: G
  /** The body fields the handler reads; RFC 6749 §3.2: the others are ignored. */
  readonly parameters: ReadonlySet<string>
  readonly handler: GrantHandler
}
