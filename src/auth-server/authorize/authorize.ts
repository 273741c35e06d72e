// Step 1: Client app redirects resource owner to Authorization server (RFC 6749 §4.1.1)
// GET /authorize (and the seed's alias /site/oauth2/authorize) checks the request,
// then sends the owner on: to sign in (step 2), to consent (step 3), or, with a
// remembered decision, straight back with a code (step 4).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { scopeCovers } from '../../shared/scope.js'
import type { AuthServerContext } from '../context.js'
import { redirectError, renderErrorPage } from '../oauth-error.js'
import { renderConsent } from './consent.js'
import { authorizationInteraction, parseQuery, rawQueryOf, startInteraction } from './interactions.js'
import { redirectWithCode } from './issue-code.js'
import { renderLogin } from './login.js'
import { validateAuthorizationRequest, type AuthorizationRequest } from './validate-request.js'

const MAX_PARAM_LENGTH = 2048

// Bounds only: each parameter is checked in code, so that its error can be
// redirected or shown as RFC 6749 §4.1.2.1 says.
const querySchema = {
  type: 'object',
  additionalProperties: {
    anyOf: [
      { type: 'string', maxLength: MAX_PARAM_LENGTH },
      { type: 'array', maxItems: 10, items: { type: 'string', maxLength: MAX_PARAM_LENGTH } },
    ],
  },
} as const

export async function authorizeRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    // RFC 9700 §2.6: no CORS on the authorization endpoint (no CORS plugin is registered).
    return handleAuthorizationRequest(ctx, request, reply, rawQueryOf(request.url), 302)
  }
  for (const url of ['/authorize', '/site/oauth2/authorize']) {
    app.get(url, { schema: { querystring: querySchema } }, handler)
  }
}

/** Validates a raw /authorize query and continues the flow; also used when an interaction resumes. */
export async function handleAuthorizationRequest(
  ctx: AuthServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  rawQuery: string,
  status: 302 | 303,
): Promise<unknown> {
  const result = validateAuthorizationRequest(parseQuery(rawQuery), ctx.clients, ctx.config.scopes)
  if (!result.ok && !result.redirect) {
    // RFC 6749 §4.1.2.1: MUST NOT redirect to an unverified client or URI.
    return renderErrorPage(reply, 400, 'Invalid authorization request', result.message)
  }
  if (!result.ok) {
    return redirectError(reply, { ...result, issuer: ctx.config.auth.publicUrl }, result.error, status)
  }
  return continueAuthorization(ctx, request, reply, result.request, rawQuery, status)
}

async function continueAuthorization(
  ctx: AuthServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  rawQuery: string,
  status: 302 | 303,
): Promise<unknown> {
  const user = request.session.user
  if (!user) {
    // Step 2: the owner must authenticate first (RFC 6749 §3.1).
    const interaction = startInteraction(request, authorizationInteraction(rawQuery, authz.client.clientId), ctx.now())
    return renderLogin(reply, { client: authz.client, interaction })
  }
  // Seed step 2: a remembered decision covering these scopes skips consent.
  const remembered = ctx.store.findGrant(user.sub, authz.client.clientId)
  if (remembered && scopeCovers(remembered.scopes, authz.scopes)) {
    return redirectWithCode(ctx, reply, authz, user, status)
  }
  const interaction = startInteraction(request, authorizationInteraction(rawQuery, authz.client.clientId), ctx.now())
  return renderConsent(ctx, reply, { authz, user, interaction })
}
