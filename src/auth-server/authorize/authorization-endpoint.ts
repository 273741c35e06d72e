// Step 1: Client app redirects resource owner to Authorization server (RFC 6749 §4.1.1)
// GET /authorize (and the book's alias /site/oauth2/authorize) checks the request,
// then sends the owner on: to sign in (step 2), to consent (step 3), or, with a
// remembered decision, straight back with a code (step 4).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { scopeCovers } from '../../shared/scope.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError, redirectError, renderErrorPage } from '../oauth-error.js'
import { renderConsent } from './consent.js'
import { authorizationInteraction, parseQuery, rawQueryOf, startInteraction } from './interactions.js'
import { redirectWithCode } from './issue-code.js'
import { renderLogin } from './login.js'
import { validateAuthorizationRequest, type AuthorizationRequest } from './validate-request.js'
import { repushForResume, resolvePushedRequest } from '../par/request-uri.js'

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
  // A URL client_id names a Client ID Metadata Document: fetched (or taken
  // from the cache) first; if it cannot be used, a page, never a redirect.
  const front = parseQuery(rawQuery)
  const resolved =
    typeof front.client_id === 'string' ? await ctx.clients.resolve(front.client_id) : ({ ok: true } as const)
  if (!resolved.ok) return renderErrorPage(reply, resolved.status, 'Client metadata document refused', resolved.message)
  // RFC 9126 §4: with a request_uri, the pushed parameters are the request (par/request-uri.ts).
  const pushed = resolvePushedRequest(ctx, front)
  if (pushed.kind === 'page') return renderErrorPage(reply, 400, 'Invalid authorization request', pushed.message)
  const query = pushed.kind === 'pushed' ? pushed.query : rawQuery
  const result = validateAuthorizationRequest(
    pushed.kind === 'pushed' ? parseQuery(query) : front,
    ctx.clients,
    ctx.config.scopes,
    ctx.config,
  )
  if (!result.ok && !result.redirect) {
    // RFC 6749 §4.1.2.1: MUST NOT redirect to an unverified client or URI.
    return renderErrorPage(reply, 400, 'Invalid authorization request', result.message)
  }
  if (!result.ok) {
    return redirectError(reply, { ...result, issuer: ctx.config.auth.publicUrl }, result.error, status)
  }
  // RFC 9126 §6: a client registered for pushed requests only may not send them through the browser.
  if (pushed.kind === 'none' && result.request.client.requirePushedAuthorizationRequests === true) {
    const error = new OAuthError('invalid_request', 'This client must push its authorization requests (RFC 9126).')
    return redirectError(reply, { ...result.request, issuer: ctx.config.auth.publicUrl }, error, status)
  }
  return continueAuthorization(ctx, request, reply, result.request, query, status, pushed.kind === 'pushed')
}

async function continueAuthorization(
  ctx: AuthServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authz: AuthorizationRequest,
  rawQuery: string,
  status: 302 | 303,
  pushed: boolean,
): Promise<unknown> {
  // An extension point (the lab's AUTO_LOGIN / LOGIN_HINT): signed in and consenting, no pages.
  const headless = ctx.extensions.headlessUser(request)
  if (headless) request.session.user = headless
  // A user removed since signing in (a workshop's "Reset the room") is signed out: sign in again, which fails.
  if (request.session.user && !ctx.users.bySub(request.session.user.sub)) delete request.session.user
  const user = request.session.user
  const issuer = ctx.config.auth.publicUrl
  const silent = authz.prompt.includes('none')
  if (!user || mustSignInAgain(authz, user.authTime, ctx.now())) {
    // OIDC Core §3.1.2.1: prompt=none must not show a page.
    if (silent)
      return redirectError(
        reply,
        { ...authz, issuer },
        new OAuthError('login_required', 'The user is not signed in.'),
        status,
      )
    // Step 2: the owner must authenticate first (RFC 6749 §3.1). After signing
    // in, the request resumes without prompt=login, or it would loop.
    const withoutLogin = withoutPromptLogin(rawQuery)
    // A pushed request resumes under a fresh request_uri, never with its parameters in the URL (RFC 9126 §4).
    const resumeQuery = pushed ? repushForResume(ctx, withoutLogin, authz.client.clientId) : withoutLogin
    const interaction = startInteraction(
      request,
      authorizationInteraction(resumeQuery, authz.client.clientId),
      ctx.now(),
    )
    return renderLogin(reply, { client: authz.client, interaction })
  }
  // Step 2 of the seven steps: a remembered decision covering these scopes skips consent,
  // unless the client asks for consent again (OIDC Core §3.1.2.1, prompt=consent).
  const remembered = ctx.store.findGrant(user.sub, authz.client.clientId)
  const consented = (remembered && scopeCovers(remembered.scopes, authz.scopes)) || headless !== undefined
  if (consented && !authz.prompt.includes('consent')) {
    return redirectWithCode(ctx, reply, authz, user, status)
  }
  if (silent)
    return redirectError(
      reply,
      { ...authz, issuer },
      new OAuthError('consent_required', 'The user has not consented to this client yet.'),
      status,
    )
  const interaction = startInteraction(request, authorizationInteraction(rawQuery, authz.client.clientId), ctx.now())
  return renderConsent(ctx, reply, { authz, user, interaction })
}

/** prompt=login, or a sign-in older than max_age (OIDC Core §3.1.2.1), means signing in again. */
function mustSignInAgain(authz: AuthorizationRequest, authTime: number, nowMs: number): boolean {
  if (authz.prompt.includes('login')) return true
  return authz.maxAge !== undefined && Math.floor(nowMs / 1000) - authTime > authz.maxAge
}

function withoutPromptLogin(rawQuery: string): string {
  const params = new URLSearchParams(rawQuery)
  const prompt = (params.get('prompt') ?? '').split(' ').filter((p) => p && p !== 'login')
  if (prompt.length > 0) params.set('prompt', prompt.join(' '))
  else params.delete('prompt')
  return params.toString()
}
