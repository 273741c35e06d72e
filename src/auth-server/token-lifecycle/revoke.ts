// Token revocation (RFC 7009). Revoking a refresh token ends its whole family,
// access tokens included; revoking an access token ends that token.

import type { FastifyInstance } from 'fastify'
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
import { lookupToken } from './token-lookup.js'

interface RevokeBody {
  readonly token?: string
  readonly token_type_hint?: string
  readonly [param: string]: string | undefined
}

export async function revokeRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  corsScope(app, ctx.clients.allowsOrigin) // a SPA revokes its own tokens at sign-out
  backChannelScope(app)
  interceptResponses(app, ctx.extensions, 'revoke')
  const route = { ...BACK_CHANNEL_ROUTE, preHandler: [noStore, rejectQueryCredentials, authenticateClient] }
  app.post<{ Body: RevokeBody }>('/revoke', route, async (request, reply) => {
    const body = request.body ?? {}
    const { client } = authenticatedClient(request)
    if (client.introspectionOnly) throw new OAuthError('unauthorized_client', 'This client may only introspect tokens.')
    if (body.token === undefined) throw new OAuthError('invalid_request', 'token is required (RFC 7009 section 2.1).')
    const found = await lookupToken(ctx, body.token, body.token_type_hint)
    // RFC 7009 §2.2: an invalid or unknown token is not an error.
    if (!found) return reply.code(200).send()
    // RFC 7009 §2.1: the token must have been issued to the client asking.
    if (found.clientId !== client.clientId) {
      throw new OAuthError('unauthorized_client', 'The token was not issued to this client (RFC 7009 section 2.1).')
    }
    if (found.kind === 'refresh_token') ctx.store.revokeFamily(found.family.id)
    else ctx.store.revokeToken({ jti: found.claims.jti, expiresAt: found.claims.exp * 1000 })
    return reply.code(200).send()
  })
}
