// Step 5: Client app requests Access token from Auth server (RFC 6749 §3.2, §4.1.3)
// POST /token (and the seed's alias /site/oauth2/access_token): form body only,
// client authentication, then the grant's own handler.

import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import type { AuthServerContext } from '../context.js'
import { authenticateClient, type AuthenticatedClient } from '../client-auth.js'
import { OAuthError, noStore, sendJsonError } from '../oauth-error.js'
import { authorizationCodeGrant } from './authorization-code.js'

export interface TokenRequestBody {
  readonly grant_type?: string
  readonly code?: string
  readonly redirect_uri?: string
  readonly code_verifier?: string
  readonly client_id?: string
  readonly client_secret?: string
  readonly [param: string]: string | undefined
}

export interface TokenResponse {
  readonly access_token: string
  readonly token_type: 'Bearer'
  readonly expires_in: number
  readonly scope: string
  readonly refresh_token?: string
}

type GrantHandler = (ctx: AuthServerContext, client: AuthenticatedClient, body: TokenRequestBody) => Promise<TokenResponse>

const GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
}

export const SUPPORTED_GRANT_TYPES = Object.keys(GRANTS)

const MAX_PARAM_LENGTH = 4096

const tokenSchema = {
  body: {
    type: 'object',
    additionalProperties: { type: 'string', maxLength: MAX_PARAM_LENGTH },
  },
} as const

export async function tokenRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // Every failure in this scope, including the framework's own (wrong media
  // type, body too large, schema), becomes RFC 6749 §5.2 JSON.
  app.setErrorHandler((error: FastifyError, request, reply) => sendJsonError(reply, toOAuthError(error, request)))
  // RFC 6749 §3.2: form bodies only; any other media type is answered 415 → invalid_request.
  app.removeContentTypeParser(['application/json', 'text/plain'])

  for (const url of ['/token', '/site/oauth2/access_token']) {
    app.post<{ Body: TokenRequestBody }>(
      url,
      { schema: tokenSchema, bodyLimit: 16 * 1024, preValidation: rejectRepeatedParameters },
      async (request, reply) => {
        noStore(reply)
        const body = request.body ?? {}
        // RFC 6749 §2.3.1: credentials MUST NOT travel in the URL.
        const query = request.query as Record<string, unknown>
        if (query.client_secret !== undefined || query.code !== undefined) {
          throw new OAuthError('invalid_request', 'Token request parameters belong in the form body, not the URL (RFC 6749 §2.3.1, §3.2).')
        }
        const client = authenticateClient(ctx.clients, request.headers.authorization, body)
        const grantType = body.grant_type
        if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.')
        const grant = GRANTS[grantType]
        // RFC 9700 §2.4: no password grant; unknown grants are unsupported.
        if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported.`)
        if (!client.client.grantTypes.includes(grantType as never)) {
          throw new OAuthError('unauthorized_client', `This client may not use the ${grantType} grant.`)
        }
        return reply.code(200).send(await grant(ctx, client, body))
      },
    )
  }
}

// RFC 6749 §3.2: request and response parameters MUST NOT be included more than once.
async function rejectRepeatedParameters(request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | undefined
  for (const [name, value] of Object.entries(body ?? {})) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `The ${name} parameter is repeated (RFC 6749 §3.2).`)
  }
}

function toOAuthError(error: FastifyError, request: FastifyRequest): OAuthError {
  if (error instanceof OAuthError) return error
  if (error.validation) return new OAuthError('invalid_request', `Invalid parameter: ${error.message}.`)
  if (error.statusCode === 415) {
    return new OAuthError('invalid_request', 'The token request must be application/x-www-form-urlencoded (RFC 6749 §3.2).')
  }
  if (error.statusCode === 413) return new OAuthError('invalid_request', 'The request body is too large.', { status: 413 })
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return new OAuthError('invalid_request', 'The request could not be read.')
  }
  request.log.error({ err: error }, 'token endpoint failure')
  return new OAuthError('server_error', 'The server could not complete the request.', { status: 500 })
}
