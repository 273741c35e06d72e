// Step 5: Client app requests Access token from Auth server (RFC 6749 §3.2, §4.1.3)
// POST /token (and the seed's alias /site/oauth2/access_token): form body only,
// client authentication, then the grant's own handler (grants/index.ts).

import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { BACK_CHANNEL_ROUTE, backChannelScope, rejectQueryCredentials } from '../back-channel/back-channel-route.js'
import type { AuthServerContext } from '../context.js'
import { authenticateClient, BASIC_CHALLENGE } from '../back-channel/client-auth.js'
import { responseHookScope } from '../lab/hooks.js'
import type { TokenFailureError } from '../lab/scenarios.js'
import { OAuthError, noStore } from '../oauth-error.js'
import type { TokenRequestBody } from './grant-types.js'
import { grantModule, grantParameters, isSupportedGrantType } from './grants/index.js'

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
      // RFC 9700 §2.4: no password grant; unknown grants are unsupported.
      if (!isSupportedGrantType(grantType))
        throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported.`)
      // RFC 6749 §5.2: unauthorized_client when the client may not use this grant.
      if (!client.client.grantTypes.includes(grantType)) {
        throw new OAuthError('unauthorized_client', `This client may not use the ${grantType} grant.`)
      }
      const grant = grantModule(grantType)
      return reply.code(200).send(await grant.handler(ctx, client, grantParameters(grant, body)))
    })
  }
}
