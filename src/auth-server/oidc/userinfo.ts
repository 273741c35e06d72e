// OpenID Connect UserInfo (OIDC Core §5.3): who the token's user is, limited
// to the claims its scopes release (§5.4). Bearer tokens per RFC 6750.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  invalidRequest,
  invalidToken,
  insufficientScope,
  noCredentials,
  sendBearerError,
} from '../../shared/bearer-errors.js'
import { corsScope, labOriginCheck } from '../../shared/cors.js'
import { parseScope } from '../../shared/scope.js'
import type { AuthServerContext } from '../context.js'
import { interceptResponses } from '../extensions.js'
import { lookupToken } from '../token-lifecycle/token-lookup.js'

// OIDC Core §5.4: the claims each scope releases.
export const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
}

export function releasedClaims(
  scopes: readonly string[],
  claims: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const released: Record<string, unknown> = {}
  for (const scope of scopes) {
    for (const name of (Object.hasOwn(SCOPE_CLAIMS, scope) && SCOPE_CLAIMS[scope]) || []) {
      // OIDC Core §5.3.2: omit absent claims rather than sending null.
      if (claims[name] !== undefined && claims[name] !== null) released[name] = claims[name]
    }
  }
  return released
}

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}

async function userinfo(ctx: AuthServerContext, request: FastifyRequest, reply: FastifyReply) {
  reply.header('cache-control', 'no-store')
  if (!request.headers.authorization)
    return sendBearerError(reply, noCredentials('userinfo needs an access token: send Authorization: Bearer <token>'))
  const token = bearerToken(request)
  if (!token) return sendBearerError(reply, invalidRequest('malformed Authorization header: expected Bearer <token>'))
  // The AS's own resource: the token is checked by signature, expiry and
  // revocation; its audience is the resource server, which userinfo accepts.
  const found = await lookupToken(ctx, token, 'access_token')
  if (!found || found.kind !== 'access_token' || !found.active) {
    return sendBearerError(reply, invalidToken('the access token is invalid, expired or revoked'))
  }
  const scopes = parseScope(found.claims.scope)
  if (!scopes.includes('openid'))
    return sendBearerError(reply, insufficientScope('openid', 'userinfo needs a token with scope openid'))
  const user = ctx.users.bySub(found.claims.sub)
  // OIDC Core §5.3.2: sub is always returned.
  return reply.type('application/json').send({ sub: found.claims.sub, ...releasedClaims(scopes, user?.claims ?? {}) })
}

export async function userinfoRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  corsScope(app, labOriginCheck(ctx.config.clients)) // a SPA reads its user's claims
  interceptResponses(app, ctx.extensions, 'userinfo')
  // OIDC Core §5.3.1: GET and POST both.
  app.get('/userinfo', (request, reply) => userinfo(ctx, request, reply))
  app.post('/userinfo', { bodyLimit: 4096 }, (request, reply) => userinfo(ctx, request, reply))
}
