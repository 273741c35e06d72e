// OpenID Connect RP-Initiated Logout 1.0: the client sends the user to
// GET /end-session; the user confirms (a CSRF-protected form, so no page can
// sign them out unseen); then, if the client asked and the URI is registered
// exactly, the browser goes back there with `state`.

import type { FastifyInstance, FastifyReply } from 'fastify'
import { decodeJwt } from 'jose'
import { startInteraction } from '../authorize/interactions.js'
import type { AuthServerContext } from '../context.js'
import { redirectUrl, renderErrorPage } from '../oauth-error.js'

interface EndSessionQuery {
  readonly id_token_hint?: string
  readonly post_logout_redirect_uri?: string
  readonly client_id?: string
  readonly state?: string
}

const endSessionSchema = {
  querystring: {
    type: 'object',
    properties: {
      id_token_hint: { type: 'string', maxLength: 8192 },
      post_logout_redirect_uri: { type: 'string', maxLength: 2048 },
      client_id: { type: 'string', maxLength: 200 },
      state: { type: 'string', maxLength: 2048 },
    },
  },
} as const

/** The client named by client_id or, failing that, by the ID token's audience. */
function clientIdOf(query: EndSessionQuery): string | undefined {
  if (query.client_id) return query.client_id
  if (!query.id_token_hint) return undefined
  try {
    const aud = decodeJwt(query.id_token_hint).aud
    return Array.isArray(aud) ? aud[0] : aud
  } catch {
    return undefined
  }
}

export async function endSessionRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  app.get<{ Querystring: EndSessionQuery }>('/end-session', { schema: endSessionSchema }, async (request, reply) => {
    const query = request.query
    let postLogout: { uri: string; state?: string } | undefined
    if (query.post_logout_redirect_uri !== undefined) {
      const client = ctx.clients.get(clientIdOf(query) ?? '')
      // Exact match against the client's registration, as for redirect URIs: never an open redirect.
      if (!client || !(client.postLogoutRedirectUris ?? []).includes(query.post_logout_redirect_uri)) {
        return renderErrorPage(
          reply,
          400,
          'Invalid logout request',
          'The post_logout_redirect_uri is not registered for this client.',
        )
      }
      postLogout = { uri: query.post_logout_redirect_uri, state: query.state }
    }
    if (!request.session.user) return finish(reply, postLogout)
    const interaction = startInteraction(request, { resume: '/account/grants', postLogout }, ctx.now())
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8')
    return reply.viewAsync('auth-server/end-session', {
      title: 'Sign out',
      username: request.session.user.sub,
      interaction,
      csrfToken: reply.generateCsrf(),
    })
  })
}

/** After signing out: back to the client when it asked, else a plain page. */
export function finish(reply: FastifyReply, postLogout?: { uri: string; state?: string }) {
  if (postLogout) return reply.redirect(redirectUrl(postLogout.uri, { state: postLogout.state }), 303)
  reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/signed-out', { title: 'Signed out' })
}
