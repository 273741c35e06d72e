// Token introspection (RFC 7662): how the resource server, in introspection
// mode, learns at once that a token was revoked.

import type { FastifyInstance } from 'fastify'
import { BACK_CHANNEL_ROUTE, backChannelScope } from '../back-channel/back-channel-route.js'
import type { AuthenticatedClient } from '../back-channel/client-auth.js'
import {
  authenticateClient,
  authenticatedClient,
  noStore,
  rejectQueryCredentials,
} from '../back-channel/pre-handlers.js'
import type { AuthServerContext } from '../context.js'
import { interceptResponses } from '../extensions.js'
import { OAuthError } from '../oauth-error.js'
import { lookupToken, type PresentedToken } from './token-lookup.js'
import { dpopConfirmation } from '../../shared/dpop/cnf.js'

interface IntrospectBody {
  readonly token?: string
  readonly token_type_hint?: string
  readonly [param: string]: string | undefined
}

/** RFC 7662 §2.1: the caller must be authorized. The resource server may ask about any token; a client about its own. */
function mayIntrospect({ client }: AuthenticatedClient, found: PresentedToken): boolean {
  return client.introspectionOnly === true || found.clientId === client.clientId
}

function describe(ctx: AuthServerContext, found: PresentedToken): Record<string, unknown> {
  const iss = ctx.config.auth.publicUrl
  if (found.kind === 'access_token') {
    const { claims } = found
    const isUser = claims.sub !== claims.client_id
    const binding = dpopConfirmation(claims.cnf)
    return {
      active: true,
      // RFC 9449 §6.2: a bound token is a DPoP token, and says which key (cnf.jkt).
      token_type: binding ? 'DPoP' : 'Bearer',
      ...(binding ? { cnf: binding } : {}),
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      ...(isUser ? { username: claims.sub } : {}),
      exp: claims.exp,
      iat: claims.iat,
      aud: claims.aud,
      iss,
      jti: claims.jti,
    }
  }
  const { family, token } = found
  return {
    active: true,
    token_type: 'refresh_token',
    scope: family.scopes.join(' '),
    client_id: family.clientId,
    sub: family.sub,
    username: family.sub,
    exp: Math.floor(token.expiresAt / 1000),
    iss,
  }
}

export async function introspectRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  backChannelScope(app)
  interceptResponses(app, ctx.extensions, 'introspect')
  const route = { ...BACK_CHANNEL_ROUTE, preHandler: [noStore, rejectQueryCredentials, authenticateClient] }
  app.post<{ Body: IntrospectBody }>('/introspect', route, async (request) => {
    const body = request.body ?? {}
    const caller = authenticatedClient(request)
    if (caller.method === 'none')
      throw new OAuthError('invalid_client', 'Introspection requires client authentication (RFC 7662 section 2.1).')
    if (body.token === undefined) throw new OAuthError('invalid_request', 'token is required (RFC 7662 section 2.1).')
    const found = await lookupToken(ctx, body.token, body.token_type_hint)
    // RFC 7662 §2.2: unknown, expired, revoked or not the caller's: just inactive, no reason given.
    if (!found || !found.active || !mayIntrospect(caller, found)) return { active: false }
    return describe(ctx, found)
  })
}
