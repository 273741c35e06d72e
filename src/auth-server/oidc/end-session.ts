// OpenID Connect RP-Initiated Logout 1.0: the client sends the user to
// GET /end-session; the user confirms (a CSRF-protected form, so no page can
// sign them out unseen); then, if the client asked and the URI is registered
// exactly, the browser goes back there with `state`.

import type { FastifyInstance, FastifyReply } from 'fastify'
import { compactVerify } from 'jose'
import { startInteraction } from '../authorize/interactions.js'
import type { AuthServerContext } from '../context.js'
import { redirectUrl, renderErrorPage } from '../oauth-error.js'
import { SIGNING_ALGORITHMS } from '../tokens/keys.js'

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

/**
 * The audiences of `hint` if it is an ID token this server signed, else
 * undefined. OIDC Core §3.1.2.1: id_token_hint is an "ID Token previously
 * issued by the Authorization Server"; RP-Initiated Logout 1.0 §2: the OP
 * SHOULD accept it "even when the exp time has passed", so expiry is ignored.
 * Checked: the signature, by any ID token key (RS256, ES256 or EdDSA, as the
 * client chose), current or previous (after a rotation), with an asymmetric
 * alg only, so an unsigned (`alg: none`) or foreign token fails; `iss`; `typ` (an RFC 9068 access token, signed by the
 * same key, is not an ID token, RFC 9068 §4); and `aud` (OIDC Core §2: required).
 */
async function idTokenAudiences(ctx: AuthServerContext, hint: string): Promise<readonly string[] | undefined> {
  let verified: Awaited<ReturnType<typeof compactVerify>>
  try {
    verified = await compactVerify(hint, ctx.keys.verificationKeys, { algorithms: [...SIGNING_ALGORITHMS] })
  } catch {
    return undefined
  }
  if (verified.protectedHeader.typ !== 'JWT') return undefined
  let claims: unknown
  try {
    claims = JSON.parse(new TextDecoder().decode(verified.payload))
  } catch {
    return undefined
  }
  if (claims === null || typeof claims !== 'object') return undefined
  const { iss, aud } = claims as { iss?: unknown; aud?: unknown }
  if (iss !== ctx.config.auth.publicUrl) return undefined
  const audiences: unknown[] = Array.isArray(aud) ? aud : [aud]
  if (audiences.length === 0 || !audiences.every((a): a is string => typeof a === 'string')) return undefined
  return audiences
}

/** The client: client_id when given, else the ID token hint's (first) audience. */
function clientIdOf(query: EndSessionQuery, audiences: readonly string[] | undefined): string | undefined {
  return query.client_id || audiences?.[0]
}

export async function endSessionRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  app.get<{ Querystring: EndSessionQuery }>('/end-session', { schema: endSessionSchema }, async (request, reply) => {
    const query = request.query
    let audiences: readonly string[] | undefined
    if (query.id_token_hint !== undefined) {
      // RP-Initiated Logout 1.0 §2, §4: a hint this server did not sign is an error shown to the user, never a redirect.
      audiences = await idTokenAudiences(ctx, query.id_token_hint)
      if (audiences === undefined) {
        return renderErrorPage(
          reply,
          400,
          'Invalid logout request',
          'The id_token_hint is not an ID token issued by this server.',
        )
      }
      // RP-Initiated Logout 1.0 §2: with both, client_id must be the ID token's audience.
      if (query.client_id !== undefined && !audiences.includes(query.client_id)) {
        return renderErrorPage(
          reply,
          400,
          'Invalid logout request',
          'The client_id is not an audience of the id_token_hint.',
        )
      }
    }
    let postLogout: { uri: string; state?: string } | undefined
    if (query.post_logout_redirect_uri !== undefined) {
      const client = ctx.clients.get(clientIdOf(query, audiences) ?? '')
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
