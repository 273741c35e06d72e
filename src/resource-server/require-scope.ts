// Step 7: Resource server checks the token's scope covers the resource (RFC 6750 §3.1)

import type { preHandlerAsyncHookHandler } from 'fastify'
import { insufficientScope, sendBearerError } from '../shared/bearer-errors.js'

/** Scope tokens are space-delimited and case-sensitive (RFC 6749 §3.3). */
export function scopeIncludes(scope: string, wanted: string): boolean {
  return scope.split(' ').includes(wanted)
}

/** preHandler, after `verifyToken`: 403 `insufficient_scope` unless the token has `scope`. */
export function requireScope(scope: string): preHandlerAsyncHookHandler {
  return async function checkScope(request, reply) {
    const token = request.accessToken
    // A route that forgot verifyToken is a bug, not a client error.
    if (token === undefined) throw new Error('requireScope runs after verifyToken')
    if (scopeIncludes(token.scope, scope)) return undefined
    // RFC 6750 §3.1: 403 with the scope needed to access the resource.
    return sendBearerError(reply, insufficientScope(scope, `the access token lacks the ${scope} scope`))
  }
}
