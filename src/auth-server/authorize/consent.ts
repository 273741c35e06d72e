// Step 3: Owner authorizes client app (RFC 6749 §4.1.1, §10.12: explicit, informed consent)

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthServerContext } from '../context.js'
import { OAuthError, redirectError, renderErrorPage } from '../oauth-error.js'
import { endInteraction, findInteraction, parseQuery } from './interactions.js'
import { redirectWithCode } from './issue-code.js'
import { OFFLINE_ACCESS, validateAuthorizationRequest, type AuthorizationRequest } from './validate-request.js'
import { csrfCheck } from '../../shared/session-csrf.js'
import { decideDevice } from '../device/device-decision.js'
import { isDocumentClientId } from '../registration/metadata-document.js'

interface ConsentBody {
  interaction?: string
  decision?: 'allow' | 'deny'
  remember?: string
  _csrf?: string
}

const consentSchema = {
  body: {
    type: 'object',
    required: ['interaction', 'decision'],
    properties: {
      interaction: { type: 'string', maxLength: 100 },
      decision: { type: 'string', enum: ['allow', 'deny'] },
      remember: { type: 'string', maxLength: 10 },
      _csrf: { type: 'string', maxLength: 200 },
    },
  },
} as const

export function renderConsent(
  ctx: AuthServerContext,
  reply: FastifyReply,
  data: {
    /** A device authorization (RFC 8628) has no redirect URI; the page names its user code instead. */
    authz: Pick<AuthorizationRequest, 'client' | 'scopes'> & { readonly redirectUri?: string }
    user: { sub: string }
    interaction: string
    userCode?: string
  },
): Promise<string> {
  // OIDC Core §11: offline_access is named with what it means, as the explicit consent it needs.
  const described = [...ctx.config.scopes, OFFLINE_ACCESS]
  const scopes = data.authz.scopes.map((name) => ({
    name,
    description: described.find((s) => s.name === name)?.description ?? '',
  }))
  reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/consent', {
    title: 'Authorize access',
    clientName: data.authz.client.name,
    clientId: data.authz.client.clientId,
    // A Client ID Metadata Document client: the name is what that site says, so the site is shown too.
    documentOrigin: isDocumentClientId(data.authz.client.clientId) ? new URL(data.authz.client.clientId).origin : '',
    redirectUri: data.authz.redirectUri,
    userCode: data.userCode,
    username: data.user.sub,
    scopes,
    interaction: data.interaction,
    csrfToken: reply.generateCsrf(),
  })
}

export async function consentRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  app.post<{ Body: ConsentBody }>(
    '/consent',
    { schema: consentSchema, preValidation: csrfCheck(app) },
    async (request, reply) => handleConsent(ctx, request, reply),
  )
}

async function handleConsent(
  ctx: AuthServerContext,
  request: FastifyRequest<{ Body: ConsentBody }>,
  reply: FastifyReply,
) {
  const { interaction = '', decision, remember } = request.body
  const pending = findInteraction(request, interaction, ctx.now())
  const user = request.session.user
  // The same consent page decides a device authorization (RFC 8628 §3.3): device/device-decision.ts.
  if (pending?.device !== undefined && user)
    return decideDevice(ctx, request, reply, { interaction, userCode: pending.device, decision, remember, user })
  const query = pending?.query
  if (query === undefined || !user) {
    return renderErrorPage(
      reply,
      400,
      'Consent expired',
      'This request is unknown or took too long. Start again from the client app.',
    )
  }
  endInteraction(request, interaction)
  // Re-checked: the client's registration may have changed while the user decided.
  const result = validateAuthorizationRequest(parseQuery(query), ctx.clients, ctx.config.scopes, ctx.config)
  if (!result.ok && !result.redirect)
    return renderErrorPage(reply, 400, 'Invalid authorization request', result.message)
  const issuer = ctx.config.auth.publicUrl
  if (!result.ok) return redirectError(reply, { ...result, issuer }, result.error, 303)
  const authz = result.request
  if (decision !== 'allow') {
    // RFC 6749 §4.1.2.1: the owner said no.
    const denied = new OAuthError('access_denied', 'The resource owner denied the request (RFC 6749 section 4.1.2.1).')
    return redirectError(reply, { ...authz, issuer }, denied, 303)
  }
  if (remember !== undefined) {
    ctx.store.saveGrant({
      sub: user.sub,
      clientId: authz.client.clientId,
      scopes: authz.scopes,
      createdAt: ctx.now(),
    })
  }
  // RFC 9700 §4.11: 303 so the browser never re-posts the form to the client
  // (form_post answers 200 with its own page instead).
  return redirectWithCode(ctx, reply, authz, user, 303)
}
