// The authorization server's named extension points: the only places where
// something outside the protocol (the lab's test powers, lab/) may change what
// it does. The protocol code calls these and nothing else; each has a no-op
// default, and NO_EXTENSIONS, all defaults, is what a server runs when every
// lab feature is off.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { GrantType } from '../shared/config.js'

/** Which grant a token is being issued for; `lab` for a token minted without a flow. */
export type TokenGrantType = GrantType | 'lab'

export interface TokenSigningContext {
  readonly grantType: TokenGrantType
  readonly clientId: string
}

/** The tokens whose claims an extension may see before they are signed (or stored, for an opaque access token). */
export type SignedTokenKind = 'access_token' | 'id_token'

/** The four JSON endpoints whose responses may be intercepted. */
export type InterceptedRoute = 'token' | 'introspect' | 'revoke' | 'userinfo'

/** An onSend handler: gets the serialized payload, returns the one to send. */
export type ResponseInterceptor = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>

export interface HeadlessUser {
  readonly sub: string
  /** Seconds since the epoch. */
  readonly authTime: number
}

export interface AuthServerExtensions {
  /**
   * Runs first at the token endpoint, before client authentication: it may
   * wait, or throw an OAuthError, which is then the answer whatever the
   * request carries. Default: nothing.
   */
  readonly tokenEndpointGate: (request: FastifyRequest) => Promise<void>
  /**
   * The claims of a token about to be signed; returns the claims to sign.
   * The planned `jti` must be kept (revocation depends on it). Default: as given.
   */
  readonly claimsBeforeSigning: (
    kind: SignedTokenKind,
    claims: Record<string, unknown>,
    context: TokenSigningContext,
  ) => Promise<Record<string, unknown>>
  /**
   * A user to sign the browser in as at /authorize, who then also counts as
   * having consented: no login or consent page. Default: undefined (the normal flow).
   */
  readonly headlessUser: (request: FastifyRequest) => HeadlessUser | undefined
  /** True: this authorization answers access_denied instead of a code. Default: false. */
  readonly denyAuthorization: () => boolean
  /**
   * Response interception for `route`: an onSend handler that its plugin
   * installs, or undefined (the default) for no hook at all.
   */
  readonly beforeResponse: (route: InterceptedRoute) => ResponseInterceptor | undefined
}

export const NO_EXTENSIONS: AuthServerExtensions = Object.freeze<AuthServerExtensions>({
  tokenEndpointGate: async () => {},
  claimsBeforeSigning: async (_kind, claims) => claims,
  headlessUser: () => undefined,
  denyAuthorization: () => false,
  beforeResponse: () => undefined,
})

/** Call at the top of the encapsulated plugin of `route`: adds the interceptor, if any, to that plugin only. */
export function interceptResponses(
  app: FastifyInstance,
  extensions: AuthServerExtensions,
  route: InterceptedRoute,
): void {
  const interceptor = extensions.beforeResponse(route)
  // A CORS preflight is the browser's question, not the endpoint's answer: never intercepted.
  if (interceptor)
    app.addHook('onSend', async (request, reply, payload) =>
      request.method === 'OPTIONS' ? payload : interceptor(request, reply, payload),
    )
}
