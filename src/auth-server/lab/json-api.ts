// What every lab control route shares (POST /_lab/next-login, /_lab/users,
// /_lab/next-token-claims, /_lab/keys/rotate): the lab key before anything
// else, JSON only, unknown fields refused, and errors as JSON with a clear
// message, never the HTML error page or a 5xx.

import type { FastifyError, FastifyInstance } from 'fastify'
import { requireLabKey } from '../../shared/lab-key.js'
import { OAuthError, sendJsonError } from '../oauth-error.js'

/** A claims object sent over HTTP: at most this long as JSON, so memory stays bounded. */
export const MAX_CLAIMS_JSON_BYTES = 8 * 1024

/** A claims object of at most MAX_CLAIMS_JSON_BYTES: the route schemas say `type: object` and nothing of its size. */
export function checkClaimsSize(claims: Readonly<Record<string, unknown>> | undefined, field: string): void {
  if (claims === undefined) return
  const bytes = Buffer.byteLength(JSON.stringify(claims))
  if (bytes > MAX_CLAIMS_JSON_BYTES)
    throw new OAuthError('invalid_request', `${field} is ${bytes} bytes of JSON; at most ${MAX_CLAIMS_JSON_BYTES}.`)
}

/** Names in `claims` that the caller may not set, refused rather than silently dropped. */
export function refuseClaims(claims: Readonly<Record<string, unknown>>, names: readonly string[], why: string): void {
  const refused = Object.keys(claims).filter((name) => names.includes(name))
  if (refused.length > 0) throw new OAuthError('invalid_request', `${refused.join(', ')}: ${why}`)
}

/**
 * Sets up one lab control route's plugin. `fields` are the body's allowed
 * top-level fields; with `emptyBodyAllowed`, a POST without a body counts as `{}`.
 */
export function labJsonApi(app: FastifyInstance, fields: readonly string[], emptyBodyAllowed = false): void {
  // Before anything else, body included: a caller without the key learns nothing.
  app.addHook('onRequest', requireLabKey)
  // JSON only: a cross-site page cannot send it without a CORS preflight, which is never granted.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'])
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof OAuthError) return sendJsonError(reply, error)
    const status = error.statusCode ?? 500
    // The caller's mistakes (schema, JSON, media type, size) keep their 4xx and say what was wrong.
    if (error.validation || status < 500)
      return sendJsonError(reply, new OAuthError('invalid_request', error.message, status === 400 ? {} : { status }))
    request.log.error({ err: error }, 'lab route failed')
    return sendJsonError(reply, new OAuthError('server_error', 'The lab could not do it.', { status: 500 }))
  })
  // Fastify's Ajv strips unknown properties rather than refusing them, so
  // they are checked against the raw JSON before validation.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return
    if (request.body === undefined && emptyBodyAllowed) request.body = {}
    const body = request.body
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new OAuthError('invalid_request', 'The body must be a JSON object.')
    const extra = Object.keys(body).filter((k) => !fields.includes(k))
    if (extra.length > 0)
      throw new OAuthError(
        'invalid_request',
        `Unknown field: ${extra.join(', ')} (allowed: ${fields.join(', ') || 'none'}).`,
      )
  })
}
