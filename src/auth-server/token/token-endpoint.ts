// Step 5: Client app requests Access token from Auth server (RFC 6749 §3.2, §4.1.3)
// POST /token (and the seed's alias /site/oauth2/access_token): form body only,
// client authentication, then the grant's own handler.

import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { BACK_CHANNEL_ROUTE, backChannelScope, rejectQueryCredentials } from '../back-channel/back-channel-route.js'
import type { AuthServerContext } from '../context.js'
import { authenticateClient, BASIC_CHALLENGE, type AuthenticatedClient } from '../back-channel/client-auth.js'
import { responseHookScope } from '../lab/hooks.js'
import type { TokenFailureError } from '../lab/scenarios.js'
import { OAuthError, noStore } from '../oauth-error.js'
import { authorizationCodeGrant } from './grants/authorization-code.js'
import { clientCredentialsGrant } from './grants/client-credentials.js'
import { refreshTokenGrant } from './grants/refresh-token.js'

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
  readonly token_type: 'Bearer'
  readonly expires_in: number
  readonly scope: string
  readonly refresh_token?: string
  /** OpenID Connect only. */
  readonly id_token?: string
}

type GrantHandler = (
  ctx: AuthServerContext,
  client: AuthenticatedClient,
  body: TokenRequestBody,
) => Promise<TokenResponse>

const GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
}

export const SUPPORTED_GRANT_TYPES = Object.keys(GRANTS)

/** The armed error with the status the RFCs give it (RFC 6749 §5.2; 500 / 503 for the server's own). */
function scenarioFailure(
  { error, description }: { error: TokenFailureError; description: string },
  authorization?: string,
): OAuthError {
  if (error === 'server_error') return new OAuthError(error, description, { status: 500 })
  if (error === 'temporarily_unavailable') return new OAuthError(error, description, { status: 503 })
  // RFC 6749 §5.2: invalid_client after HTTP Basic is 401 with WWW-Authenticate.
  const triedBasic = /^basic /i.test(authorization ?? '')
  if (error === 'invalid_client' && triedBasic)
    return new OAuthError(error, description, { wwwAuthenticate: BASIC_CHALLENGE })
  return new OAuthError(error, description)
}

export async function tokenRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  backChannelScope(app)
  responseHookScope(app, ctx.hooks, 'token')
  for (const url of ['/token', '/site/oauth2/access_token']) {
    app.post<{ Body: TokenRequestBody }>(url, BACK_CHANNEL_ROUTE, async (request, reply) => {
      noStore(reply)
      // Lab scenarios first, as a slow or failing server would behave whatever the request carries.
      const delay = ctx.scenarios.takeTokenDelay()
      if (delay > 0) await sleep(delay)
      const failure = ctx.scenarios.takeTokenFailure()
      if (failure) throw scenarioFailure(failure, request.headers.authorization)
      rejectQueryCredentials(request)
      const body = request.body ?? {}
      const client = authenticateClient(ctx.clients, request.headers.authorization, body)
      const grantType = body.grant_type
      if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.')
      const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined
      // RFC 9700 §2.4: no password grant; unknown grants are unsupported.
      if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported.`)
      if (!client.client.grantTypes.includes(grantType as never)) {
        throw new OAuthError('unauthorized_client', `This client may not use the ${grantType} grant.`)
      }
      return reply.code(200).send(await grant(ctx, client, body))
    })
  }
}
