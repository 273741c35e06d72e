// The checks every client-authenticated back-channel endpoint (token,
// introspection, revocation) runs before its handler, declared once as named
// preHandlers. The order in a route's list is the order they run in.

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { OAuthError, noStore as setNoStore } from '../oauth-error.js'
import { authenticate, type AuthenticatedClient } from './client-auth.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticateClient preHandler; read it with authenticatedClient(request). */
    oauthClient: AuthenticatedClient | null
  }
}

// noStore and rejectQueryCredentials never wait for anything: callback-style
// hooks, since an async one costs a promise and a microtask hop per request.

/** RFC 6749 §5.1: responses carrying tokens, and their errors, must not be cached. */
export function noStore(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  setNoStore(reply)
  done()
}

// RFC 6749 §2.3.1: client credentials MUST NOT travel in the URL (nor, here, anything secret).
const SECRET_PARAMETERS = ['client_secret', 'code', 'refresh_token', 'token', 'code_verifier']

export function rejectQueryCredentials(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const query = request.query as Record<string, unknown>
  for (const name of SECRET_PARAMETERS) {
    if (query[name] !== undefined) {
      return done(
        new OAuthError('invalid_request', 'Parameters belong in the form body, not the URL (RFC 6749 section 2.3.1).'),
      )
    }
  }
  done()
}

/**
 * RFC 6749 §2.3.1 / §3.2.1: the client authenticates (HTTP Basic,
 * client_secret_post, or none for a public client); it is then on the request.
 * Needs the plugin's backChannelScope, which declares `request.oauthClient`.
 */
export async function authenticateClient(request: FastifyRequest): Promise<void> {
  // The body schema (back-channel-route.ts) lets only string values through.
  const body = (request.body ?? {}) as Record<string, string | undefined>
  const { clients } = request.server.oauthLab
  // A public client known by its metadata document: fetched again if the cached one is stale.
  if (body.client_id !== undefined && request.headers.authorization === undefined) {
    const resolved = await clients.resolve(body.client_id)
    if (!resolved.ok) throw new OAuthError('invalid_client', resolved.message)
  }
  request.oauthClient = authenticate(clients, request.headers.authorization, body)
}

/** The client authenticateClient put on the request. */
export function authenticatedClient(request: FastifyRequest): AuthenticatedClient {
  if (request.oauthClient === null) throw new Error('authenticateClient must run before the handler.')
  return request.oauthClient
}
