// Step 5: Client app requests Access token from Auth server (RFC 6749 §3.2, §4.1.3)
// POST /token (and the book's alias /site/oauth2/access_token): form body only,
// client authentication, then the grant's own handler (grants/index.ts).

import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { corsScope } from '../../shared/cors.js'
import { BACK_CHANNEL_ROUTE, backChannelScope } from '../back-channel/back-channel-route.js'
import {
  authenticateClient,
  authenticatedClient,
  noStore,
  rejectQueryCredentials,
} from '../back-channel/pre-handlers.js'
import type { AuthServerContext } from '../context.js'
import { interceptResponses } from '../extensions.js'
import { OAuthError } from '../oauth-error.js'
import { tokenEndpointDpop } from './dpop.js'
import type { TokenRequestBody } from './grant-types.js'
import { grantModule, grantParameters, isSupportedGrantType } from './grants/index.js'

export async function tokenRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // A SPA redeems its code from the browser. Every client's web origin is
  // allowed: the preflight comes before the body that names the client.
  corsScope(app, ctx.clients.allowsOrigin)
  backChannelScope(app)
  interceptResponses(app, ctx.extensions, 'token')
  // The gate (a slow or failing server, in the lab) answers before client
  // authentication, as such a server would whatever the request carries.
  const { tokenEndpointGate } = ctx.extensions
  const dpop = tokenEndpointDpop(ctx)
  const route = {
    ...BACK_CHANNEL_ROUTE,
    preValidation: [oneResource, ...BACK_CHANNEL_ROUTE.preValidation],
    preHandler: [noStore, tokenEndpointGate, rejectQueryCredentials, authenticateClient],
  }
  for (const url of ['/token', '/site/oauth2/access_token']) {
    app.post<{ Body: TokenRequestBody }>(url, route, async (request, reply) => {
      const client = authenticatedClient(request)
      const body = request.body ?? {}
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
      // RFC 9449 §5: with a valid DPoP proof, the grant works in a context whose tokens are bound to its key.
      // Awaited only when there is a proof to check: most requests carry none (dpop.ts).
      const bound = dpop(request, reply, client)
      const grantCtx = bound instanceof Promise ? await bound : bound
      return reply.code(200).send(await grant.handler(grantCtx, client, grantParameters(grant, body)))
    })
  }
}

/**
 * RFC 8707 §2.2 lets a token request name several resources; a token here has
 * one audience, so that is invalid_target rather than a repeated parameter.
 */
function oneResource(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  // Callback style, as the back channel's other checks (back-channel-route.ts says why).
  const body = request.body as Record<string, unknown> | undefined
  if (Array.isArray(body?.resource))
    return done(
      new OAuthError(
        'invalid_target',
        'Send one resource: a token has one audience here (RFC 8707 section 2.2); ask again for another.',
      ),
    )
  done()
}
