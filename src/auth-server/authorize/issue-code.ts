// Step 4: Auth server redirects owner with authorization code (RFC 6749 §4.1.2).

import type { FastifyReply } from 'fastify'
import { randomSecret } from '../../shared/random.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError, redirectError, sendAuthorizationResponse } from '../oauth-error.js'
import type { AuthorizationRequest } from './validate-request.js'
import { codeLifetimeSeconds } from './code-lifetime.js'

/**
 * A one-time code (258 random bits, RFC 6749 §10.10) bound to the client,
 * redirect URI, scopes, user, PKCE challenge (§4.1.2, RFC 7636 §4.4) and the
 * resources asked for (RFC 8707 §2.1, for the token request to pick from), then
 * the response with `code`, `state` exactly as sent, and `iss` (RFC 9207 §2),
 * in the request's response mode.
 */
export function redirectWithCode(
  ctx: AuthServerContext,
  reply: FastifyReply,
  request: AuthorizationRequest,
  user: { sub: string; authTime: number },
  status: 302 | 303,
): FastifyReply | Promise<string> {
  if (ctx.extensions.denyAuthorization()) {
    // An extension point (the lab's deny-next-authorization): as if the owner had pressed Deny (RFC 6749 §4.1.2.1).
    const denied = new OAuthError('access_denied', 'The resource owner denied the request.')
    return redirectError(reply, { ...request, issuer: ctx.config.auth.publicUrl }, denied, status)
  }
  const now = ctx.now()
  const code = randomSecret()
  ctx.store.saveCode({
    code,
    clientId: request.client.clientId,
    redirectUri: request.redirectUri,
    redirectUriSent: request.redirectUriSent,
    scopes: request.scopes,
    sub: user.sub,
    authTime: user.authTime,
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
    resources: request.resources,
    ...(request.dpopJkt === undefined ? {} : { dpopJkt: request.dpopJkt }),
    expiresAt: now + codeLifetimeSeconds(ctx.config, request) * 1000,
  })
  const params = { code, state: request.state, iss: ctx.config.auth.publicUrl }
  return sendAuthorizationResponse(reply, request, params, status)
}
