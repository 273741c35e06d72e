// POST /register (RFC 7591 §3), GET and DELETE /register/:client_id (RFC 7592
// §2.1, §2.3): the JSON API through which MCP clients and other tools
// register themselves. Errors are RFC 7591 §3.2.2 JSON, never an HTML page.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { corsScope } from '../../shared/cors.js'
import { bearerChallenge, invalidToken, noCredentials, type BearerError } from '../../shared/bearer-errors.js'
import type { AuthServerContext } from '../context.js'
import { noStore } from '../oauth-error.js'
import { RegistrationError } from './client-metadata.js'
import { findRegistration, readRegistration, registerClient, removeRegisteredClient } from './dynamic-clients.js'

/** Client metadata is a few hundred bytes; 16 KiB leaves room for long redirect URIs and names. */
export const REGISTRATION_BODY_LIMIT = 16 * 1024

function sendRegistrationError(reply: FastifyReply, status: number, error: string, description: string) {
  // RFC 7591 §3.2.2: 400, JSON, not cached.
  return noStore(reply).code(status).send({ error, error_description: description })
}

function sendTokenError(reply: FastifyReply, failure: BearerError) {
  return noStore(reply)
    .code(failure.status)
    .header('www-authenticate', bearerChallenge(failure))
    .send(
      failure.error === undefined
        ? { error_description: failure.description }
        : { error: failure.error, error_description: failure.description },
    )
}

/** RFC 7592 §2.1: the registration access token, as a Bearer token (RFC 6750 §2.1). */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = header === undefined ? null : /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)
  return match?.[1]
}

export async function registrationRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // Browser-based clients (the MCP Inspector) register from their own page:
  // any origin may, as anyone may register at all (open registration). No
  // cookie is involved (no Access-Control-Allow-Credentials), and reading or
  // deleting a registration needs its token.
  corsScope(app, (origin) => origin !== undefined && origin !== 'null')
  // JSON errors here (an API), never the HTML error page.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RegistrationError) return sendRegistrationError(reply, 400, error.error, error.description)
    const status = error.statusCode ?? 500
    if (status === 413)
      return sendRegistrationError(
        reply,
        413,
        'invalid_client_metadata',
        `The body is larger than ${REGISTRATION_BODY_LIMIT} bytes.`,
      )
    if (status === 415)
      return sendRegistrationError(
        reply,
        415,
        'invalid_client_metadata',
        'The body must be JSON (Content-Type: application/json, RFC 7591 section 3.1).',
      )
    if (status < 500)
      return sendRegistrationError(reply, 400, 'invalid_client_metadata', 'The body is not valid JSON client metadata.')
    request.log.error({ err: error }, 'registration failed')
    return sendRegistrationError(reply, 500, 'server_error', 'The registration could not be completed.')
  })
  // JSON only (RFC 7591 §3.1): a cross-site form cannot register a client without a CORS preflight.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'])

  app.post('/register', { bodyLimit: REGISTRATION_BODY_LIMIT }, async (request, reply) => {
    const registered = registerClient(ctx, request.body)
    // RFC 7591 §3.2.1: 201 Created, the metadata and the client's credentials.
    return noStore(reply).code(201).send(registered)
  })

  const authorised = (request: FastifyRequest<{ Params: { clientId: string } }>, reply: FastifyReply) => {
    const token = bearerToken(request)
    if (token === undefined) {
      void sendTokenError(
        reply,
        noCredentials('The registration access token is required (Authorization: Bearer, RFC 7592 section 2).'),
      )
      return undefined
    }
    const stored = findRegistration(ctx, request.params.clientId, token)
    // RFC 7592 §2.1: an unknown client or a wrong token: 401, told apart by neither.
    if (!stored) void sendTokenError(reply, invalidToken('The registration access token is not valid for this client.'))
    return stored
  }
  app.get<{ Params: { clientId: string } }>('/register/:clientId', async (request, reply) => {
    const stored = authorised(request, reply)
    if (!stored) return reply
    // RFC 7592 §3: the same shape as the registration response (the token itself is never kept, so not repeated).
    return noStore(reply).send(readRegistration(ctx, stored))
  })

  app.delete<{ Params: { clientId: string } }>('/register/:clientId', async (request, reply) => {
    const stored = authorised(request, reply)
    if (!stored) return reply
    removeRegisteredClient(ctx, stored.clientId)
    // RFC 7592 §2.3: 204 No Content.
    return noStore(reply).code(204).send()
  })
}
