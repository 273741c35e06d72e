// What the server-to-server endpoints share (token, introspection, revocation):
// form bodies only, no repeated parameters, bounded sizes, and every failure,
// the framework's own included, answered as RFC 6749 §5.2 JSON.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { OAuthError, sendJsonError } from '../oauth-error.js'
import { StoreFullError } from '../store/auth-store.js'

const MAX_PARAM_LENGTH = 4096

export const formBodySchema = {
  body: {
    type: 'object',
    additionalProperties: { type: 'string', maxLength: MAX_PARAM_LENGTH },
  },
} as const

export const BACK_CHANNEL_BODY_LIMIT = 16 * 1024

/** Call at the top of an encapsulated plugin: it applies to that plugin's routes only. */
export function backChannelScope(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => sendJsonError(reply, toOAuthError(error, request)))
  // RFC 6749 §3.2 (and RFC 7662 §2.1, RFC 7009 §2.1): form bodies only; any
  // other media type is answered 415 → invalid_request.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  // Filled by the authenticateClient preHandler (pre-handlers.ts).
  app.decorateRequest('oauthClient', null)
}

// These checks run on every back-channel request and never wait for
// anything, so they are callback-style hooks: an async hook costs a promise
// and a trip through the microtask queue per request even when it returns at
// once. An error passed to done() reaches the scope's error handler exactly
// as a thrown one does.

// RFC 6749 §3.2: request parameters MUST NOT be included more than once.
export function rejectRepeatedParameters(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const body = request.body as Record<string, unknown> | undefined
  for (const [name, value] of Object.entries(body ?? {})) {
    if (Array.isArray(value))
      return done(new OAuthError('invalid_request', `The ${name} parameter is repeated (RFC 6749 section 3.2).`))
  }
  done()
}

// RFC 6749 §3.1/§3.2: a parameter sent without a value is treated as omitted,
// so `refresh_token=` is a missing refresh_token (invalid_request), not an unknown one.
export function dropEmptyParameters(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const body = request.body as Record<string, unknown> | undefined
  for (const [name, value] of Object.entries(body ?? {})) {
    if (value === '') delete body![name]
  }
  done()
}

/**
 * Route options of every back-channel endpoint. No page headers
 * (security-headers.ts): they are for pages, and JSON answers need none.
 */
export const BACK_CHANNEL_ROUTE = {
  schema: formBodySchema,
  bodyLimit: BACK_CHANNEL_BODY_LIMIT,
  preValidation: [rejectRepeatedParameters, dropEmptyParameters],
  config: { pageHeaders: false },
}

function toOAuthError(error: FastifyError, request: FastifyRequest): OAuthError {
  if (error instanceof OAuthError) return error
  if (error.validation) return new OAuthError('invalid_request', `Invalid parameter: ${error.message}.`)
  if (error.statusCode === 415) {
    return new OAuthError(
      'invalid_request',
      'The request body must be application/x-www-form-urlencoded (RFC 6749 section 3.2).',
    )
  }
  if (error.statusCode === 413)
    return new OAuthError('invalid_request', 'The request body is too large.', { status: 413 })
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return new OAuthError('invalid_request', 'The request could not be read.')
  }
  // Memory stays bounded: a store at its cap refuses new work rather than forget what a check needs.
  if (error instanceof StoreFullError) {
    request.log.warn({ kind: error.kind }, 'store full')
    return new OAuthError('temporarily_unavailable', 'The lab is full for now; try again later.', { status: 503 })
  }
  request.log.error({ err: error }, 'back-channel endpoint failure')
  return new OAuthError('server_error', 'The server could not complete the request.', { status: 500 })
}
