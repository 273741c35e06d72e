// Lab only (INSPECTOR=on): mint an access token without a flow, e.g. one that
// has already expired, so the "Break it" demos and tests can show how the
// resource server refuses it. Off with INSPECTOR=off: then no such door exists.

import type { FastifyInstance } from 'fastify'
import { randomId } from '../../shared/random.js'
import { parseScope } from '../../shared/scope.js'
import { mintAccessToken } from '../tokens/access-token.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError, sendJsonError } from '../oauth-error.js'

interface LabTokenBody {
  readonly sub: string
  readonly client_id: string
  readonly scope?: string
  /** Seconds from now; zero or negative gives an already expired token. */
  readonly expires_in?: number
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
    },
  },
} as const

export async function labTokenRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  app.setErrorHandler((error: Error, _request, reply) =>
    sendJsonError(reply, error instanceof OAuthError ? error : new OAuthError('invalid_request', error.message)),
  )
  app.post<{ Body: LabTokenBody }>('/_lab/tokens', { schema: labTokenSchema }, async (request, reply) => {
    const { sub, client_id: clientId, scope = 'foo', expires_in: expiresIn = 3600 } = request.body
    if (!ctx.clients.has(clientId)) throw new OAuthError('invalid_request', `Unknown client ${clientId}.`)
    const iat = Math.floor(ctx.now() / 1000)
    const plan = { jti: randomId(), iat, expiresIn, expiresAt: (iat + expiresIn) * 1000 }
    const token = await mintAccessToken(
      ctx,
      plan,
      {
        issuer: ctx.config.auth.publicUrl,
        audience: ctx.config.resource.publicUrl,
        sub,
        clientId,
        scopes: parseScope(scope),
      },
      'lab',
    )
    return reply
      .header('cache-control', 'no-store')
      .send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope })
  })
}
