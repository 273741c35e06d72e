// OpenID Connect UserInfo (OIDC Core §5.3): who the token's user is, limited
// to the claims its scopes release (§5.4). Bearer tokens per RFC 6750.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  bearerChallenge,
  invalidRequest,
  invalidToken,
  insufficientScope,
  noCredentials,
  type BearerError,
} from '../../shared/bearer-errors.js'
import { corsScope } from '../../shared/cors.js'
import { parseScope } from '../../shared/scope.js'
import type { AuthServerContext } from '../context.js'
import { interceptResponses } from '../extensions.js'
import { lookupToken } from '../token-lifecycle/token-lookup.js'
import { releasedClaims } from './scope-claims.js'

/**
 * RFC 6750 §3.1: the challenge of a request without credentials carries no
 * error code, but the JSON body always names one, as the token endpoint's
 * errors do (OIDC Core §5.3.3: UserInfo errors are RFC 6750 §3's), so that a
 * client reading only the body still learns why: `invalid_request` then.
 */
function sendUserinfoError(reply: FastifyReply, failure: BearerError): FastifyReply {
  return reply
    .code(failure.status)
    .header('www-authenticate', bearerChallenge(failure))
    .header('cache-control', 'no-store')
    .send({ error: failure.error ?? 'invalid_request', error_description: failure.description })
}

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}

async function userinfo(ctx: AuthServerContext, request: FastifyRequest, reply: FastifyReply) {
  reply.header('cache-control', 'no-store')
  if (!request.headers.authorization)
    return sendUserinfoError(reply, noCredentials('userinfo needs an access token: send Authorization: Bearer <token>'))
  const token = bearerToken(request)
  if (!token) return sendUserinfoError(reply, invalidRequest('malformed Authorization header: expected Bearer <token>'))
  // The AS's own resource: the token is checked by signature, expiry and
  // revocation; its audience is the resource server, which userinfo accepts.
  const found = await lookupToken(ctx, token, 'access_token')
  if (!found || found.kind !== 'access_token' || !found.active) {
    return sendUserinfoError(reply, invalidToken('the access token is invalid, expired or revoked'))
  }
  const scopes = parseScope(found.claims.scope)
  if (!scopes.includes('openid'))
    return sendUserinfoError(reply, insufficientScope('openid', 'userinfo needs a token with scope openid'))
  const user = ctx.users.bySub(found.claims.sub)
  // OIDC Core §5.4: only what the granted scopes release; §5.3.2: sub is always returned.
  const released = releasedClaims(scopes, ctx.config.scopes, user?.claims ?? {})
  return reply.type('application/json').send({ ...released, sub: found.claims.sub })
}

export async function userinfoRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  corsScope(app, ctx.clients.allowsOrigin) // a SPA reads its user's claims
  interceptResponses(app, ctx.extensions, 'userinfo')
  // OIDC Core §5.3.1: GET and POST both.
  app.get('/userinfo', (request, reply) => userinfo(ctx, request, reply))
  app.post('/userinfo', { bodyLimit: 4096 }, (request, reply) => userinfo(ctx, request, reply))
}
