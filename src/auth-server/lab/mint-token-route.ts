// Lab only (INSPECTOR=on): mint an access token without a flow, e.g. one that
// has already expired, so the "Break it" demos and tests can show how the
// resource server refuses it. Off with INSPECTOR=off: then no such door exists.
// A lab power: only the lab key opens it, and it mints no token the
// authorization server would not issue (a known user, the client's scopes)
// unless the key holder asks for an unknown subject in so many words.

import type { FastifyError, FastifyInstance } from 'fastify'
import { OIDC_SCOPES, type ClientRegistration } from '../../shared/config.js'
import { requireLabKey } from '../../shared/lab-key.js'
import { randomId } from '../../shared/random.js'
import { parseScope } from '../../shared/scope.js'
import { mintAccessToken } from '../tokens/access-token.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError, sendJsonError } from '../oauth-error.js'
import { audienceOf } from '../resources.js'

interface LabTokenBody {
  readonly sub: string
  readonly client_id: string
  readonly scope?: string
  /** Seconds from now; zero or negative gives an already expired token. */
  readonly expires_in?: number
  /** A subject no user has (a test of a client that must refuse an unknown user). */
  readonly allow_unknown_sub?: boolean
  /** RFC 8707: a registered resource server, the token's `aud`; default the built-in one. */
  readonly resource?: string
}

const labTokenSchema = {
  body: {
    type: 'object',
    required: ['sub', 'client_id'],
    additionalProperties: false,
    properties: {
      sub: { type: 'string', minLength: 1, maxLength: 200 },
      client_id: { type: 'string', minLength: 1, maxLength: 200 },
      scope: { type: 'string', maxLength: 1000 },
      expires_in: { type: 'integer', minimum: -86_400, maximum: 86_400 },
      allow_unknown_sub: { type: 'boolean' },
      resource: { type: 'string', minLength: 1, maxLength: 2000 },
    },
  },
} as const

const OIDC_SCOPE_NAMES = OIDC_SCOPES.map((s) => s.name)

/**
 * The scopes `client` could be granted through the token endpoint, as the
 * authorization endpoint decides them (authorize/validate-request.ts): the
 * client's registered scopes (RFC 6749 §3.3; the configuration admits only
 * defined ones), plus the OpenID Connect scopes for a client that may use the
 * authorization code grant (OIDC Core §5.4). client_credentials grants the
 * registered ones only.
 */
function grantableScopes(client: ClientRegistration): ReadonlySet<string> {
  const oidc = client.grantTypes.includes('authorization_code') && client.introspectionOnly !== true
  return new Set([...client.scopes, ...(oidc ? OIDC_SCOPE_NAMES : [])])
}

/** The checks of a mint request, in the order the token endpoint makes them: client, subject, scope. */
function checkMintRequest(ctx: AuthServerContext, body: LabTokenBody, scopes: readonly string[]): void {
  const client = ctx.clients.get(body.client_id)
  if (!client) throw new OAuthError('invalid_request', `Unknown client ${body.client_id}.`)
  if (body.allow_unknown_sub !== true && !ctx.users.bySub(body.sub))
    throw new OAuthError(
      'invalid_request',
      `No user has sub ${body.sub}; send allow_unknown_sub: true to mint a token for it anyway.`,
    )
  const grantable = grantableScopes(client)
  const refused = scopes.filter((s) => !grantable.has(s))
  // RFC 6749 §5.2: invalid_scope, as the token endpoint answers.
  if (refused.length > 0)
    throw new OAuthError('invalid_scope', `Scope not allowed for this client: ${refused.join(' ')}.`)
}

export async function labTokenRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // Before anything else, body included: a caller without the key learns
  // nothing, not even whether a client or user exists.
  app.addHook('onRequest', requireLabKey)
  // JSON only: a cross-site page cannot send it without a CORS preflight, which is never granted.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'])
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof OAuthError) return sendJsonError(reply, error)
    const status = error.statusCode === 415 ? { status: 415 } : {}
    return sendJsonError(reply, new OAuthError('invalid_request', error.message, status))
  })
  app.post<{ Body: LabTokenBody }>('/_lab/tokens', { schema: labTokenSchema }, async (request, reply) => {
    const { sub, client_id: clientId, scope = 'foo', expires_in: expiresIn = 3600 } = request.body
    const scopes = parseScope(scope)
    checkMintRequest(ctx, request.body, scopes)
    // RFC 8707 §2: an unregistered resource is invalid_target, as the token endpoint answers.
    const audience = audienceOf(ctx.config, request.body.resource)
    const iat = Math.floor(ctx.now() / 1000)
    const plan = { jti: randomId(), iat, expiresIn, expiresAt: (iat + expiresIn) * 1000 }
    const token = await mintAccessToken(
      ctx,
      plan,
      { issuer: ctx.config.auth.publicUrl, audience, sub, clientId, scopes },
      'lab',
    )
    return reply
      .header('cache-control', 'no-store')
      .send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope })
  })
}
