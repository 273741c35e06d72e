// The one place that turns a refused request into its wire format: RFC 6750 §3
// challenges (401/400/403), plus the 503 for when tokens cannot be checked.

import type { FastifyReply } from 'fastify'

export const REALM = 'oauth-lab'

/** RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

/** A refused request, as plain data; `sendBearerError` writes it out. */
export interface BearerError {
  readonly status: 400 | 401 | 403
  /** Absent when the request carried no credentials at all (RFC 6750 §3.1). */
  readonly error?: BearerErrorCode
  readonly description: string
  /** The scope the resource needs, for `insufficient_scope`. */
  readonly scope?: string
  /** RFC 9728 §5.1: where the resource's protected resource metadata is, so a client can discover its authorization server. */
  readonly resourceMetadata?: string
}

/** No Authorization header, or another scheme: the client has not tried Bearer yet. */
export function noCredentials(description: string): BearerError {
  return { status: 401, description }
}

export function invalidRequest(description: string): BearerError {
  return { status: 400, error: 'invalid_request', description }
}

export function invalidToken(description: string): BearerError {
  return { status: 401, error: 'invalid_token', description }
}

export function insufficientScope(scope: string, description: string): BearerError {
  return { status: 403, error: 'insufficient_scope', description, scope }
}

/**
 * RFC 6750 §3: auth-param values may hold only %x20-21 / %x23-5B / %x5D-7E,
 * so no `"`, no `\`, no control or non-ASCII characters.
 */
export function sanitizeParam(value: string): string {
  return value
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '')
}

/** The `WWW-Authenticate` value: each auth-param at most once (RFC 6750 §3). */
export function bearerChallenge(failure: BearerError): string {
  const params: Array<[string, string]> = [['realm', REALM]]
  // RFC 6750 §3.1: a request without authentication information gets no error code.
  if (failure.error !== undefined) {
    params.push(['error', failure.error], ['error_description', failure.description])
  }
  if (failure.scope !== undefined) params.push(['scope', failure.scope])
  if (failure.resourceMetadata !== undefined) params.push(['resource_metadata', failure.resourceMetadata])
  return `Bearer ${params.map(([name, value]) => `${name}="${sanitizeParam(value)}"`).join(', ')}`
}

/** The body mirrors the challenge so clients that only read JSON see the reason too. */
export function bearerErrorBody(failure: BearerError): Record<string, string> {
  return failure.error === undefined
    ? { error_description: failure.description }
    : { error: failure.error, error_description: failure.description }
}

export function sendBearerError(reply: FastifyReply, failure: BearerError): FastifyReply {
  return reply
    .code(failure.status)
    .header('www-authenticate', bearerChallenge(failure))
    .header('cache-control', 'no-store')
    .send(bearerErrorBody(failure))
}

/**
 * The token could not be checked because the authorization server (its JWKS or
 * its introspection endpoint) is unreachable. RFC 6750 has no code for this,
 * and `invalid_token` would be a lie that makes clients throw away a good
 * token, so this is a 503 borrowing RFC 6749 §4.1.2.1's `temporarily_unavailable`.
 */
export function sendTemporarilyUnavailable(reply: FastifyReply, description: string): FastifyReply {
  return reply
    .code(503)
    .header('cache-control', 'no-store')
    .header('retry-after', '5')
    .send({ error: 'temporarily_unavailable', error_description: description })
}
