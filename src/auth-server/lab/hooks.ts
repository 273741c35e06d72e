// In-process hooks (the test API only: functions cannot travel over HTTP), in
// the manner of oauth2-mock-server's beforeTokenSigning / beforeResponse.

import type { FastifyReply } from 'fastify'
import type { AuthServerExtensions, InterceptedRoute, ResponseInterceptor, TokenSigningContext } from '../extensions.js'

// The signing context is the extension point's own (grantType `lab` for the test API's `issueToken`).
export type { TokenGrantType, TokenSigningContext } from '../extensions.js'

/**
 * The claims about to be signed (or, for an opaque access token, stored).
 * Return the claims to use, or nothing to keep them (changing them in place
 * works too). `jti` is kept whatever the hook does: revocation depends on it.
 */
export type ClaimsHook = (
  claims: Record<string, unknown>,
  context: TokenSigningContext,
) => Record<string, unknown> | void | Promise<Record<string, unknown> | void>

export type HookedRoute = InterceptedRoute

export interface HookedResponse {
  status: number
  /** Lower-case names; content-length is left out (it follows the body). */
  headers: Record<string, string>
  /** The parsed JSON body; undefined when the response has none (revocation). */
  body: unknown
}

export interface HookedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly body: unknown
}

/** Return the response to send, or nothing to send it as it is (changing it in place works too). */
export type ResponseHook = (
  response: HookedResponse,
  context: { readonly route: HookedRoute; readonly request: HookedRequest },
) => HookedResponse | void | Promise<HookedResponse | void>

export interface AuthServerHooks {
  /** Access tokens only (JWT and opaque), before signing. */
  beforeTokenSigning?: ClaimsHook
  /** ID tokens only (OpenID Connect), before signing. */
  beforeIdTokenSigning?: ClaimsHook
  /** What /token, /introspect, /revoke and /userinfo send, errors included. */
  beforeResponse?: ResponseHook
}

export type HookName = keyof AuthServerHooks

/** At most this many one-shot hooks wait per name: a loop that arms without end cannot grow memory. */
export const MAX_ONCE_HOOKS = 100

/**
 * One-shot hooks: each runs for the next matching event only (the next access
 * token, ID token or intercepted response), after the standing hook of its
 * name, then is gone. Queued first in, first out.
 */
export interface OnceHooks {
  once<K extends HookName>(name: K, hook: NonNullable<AuthServerHooks[K]>): void
  /** The one-shot hook for this event, taken off its queue. */
  take<K extends HookName>(name: K): AuthServerHooks[K] | undefined
  /** How many wait, per name. */
  pending(): Record<HookName, number>
  clear(): void
}

export function createOnceHooks(): OnceHooks {
  const queues: { [K in HookName]: Array<NonNullable<AuthServerHooks[K]>> } = {
    beforeTokenSigning: [],
    beforeIdTokenSigning: [],
    beforeResponse: [],
  }
  return {
    once(name, hook) {
      if (!Object.hasOwn(queues, name)) throw new RangeError(`no hook is named ${String(name)}`)
      if (typeof hook !== 'function') throw new TypeError('a hook is a function')
      const queue = queues[name] as unknown[]
      if (queue.length >= MAX_ONCE_HOOKS) throw new RangeError(`at most ${MAX_ONCE_HOOKS} one-shot ${name} hooks wait`)
      queue.push(hook)
    },
    take: (name) => queues[name].shift(),
    pending: () => ({
      beforeTokenSigning: queues.beforeTokenSigning.length,
      beforeIdTokenSigning: queues.beforeIdTokenSigning.length,
      beforeResponse: queues.beforeResponse.length,
    }),
    clear() {
      for (const queue of Object.values(queues)) queue.length = 0
    },
  }
}

/** The standing hook of `name`, then the next one-shot hook of that name, if any. */
function standingThenOnce<K extends 'beforeTokenSigning' | 'beforeIdTokenSigning'>(
  hooks: AuthServerHooks,
  once: OnceHooks | undefined,
  name: K,
): ClaimsHook | undefined {
  const standing = hooks[name]
  const oneShot = once?.take(name)
  if (!oneShot) return standing
  if (!standing) return oneShot
  return async (claims, context) => oneShot((await standing(claims, context)) ?? claims, context)
}

/** The extension point claimsBeforeSigning: each kind of token has its own hook. */
export function claimsHooks(hooks: AuthServerHooks, once?: OnceHooks): AuthServerExtensions['claimsBeforeSigning'] {
  return (kind, claims, context) =>
    applyClaimsHook(
      standingThenOnce(hooks, once, kind === 'access_token' ? 'beforeTokenSigning' : 'beforeIdTokenSigning'),
      claims,
      context,
    )
}

/** Runs a claims hook; the planned `jti` always wins. */
export async function applyClaimsHook(
  hook: ClaimsHook | undefined,
  claims: Record<string, unknown>,
  context: TokenSigningContext,
): Promise<Record<string, unknown>> {
  if (!hook) return claims
  const changed = (await hook(claims, context)) ?? claims
  return claims.jti === undefined ? { ...changed } : { ...changed, jti: claims.jti }
}

/**
 * The extension point beforeResponse: an onSend handler for `route` that hands
 * the response to the `beforeResponse` hook, looked up at each request.
 */
export function responseInterceptor(
  hooks: AuthServerHooks,
  route: HookedRoute,
  once?: OnceHooks,
  /** The lab's own change, run before the test's hooks (next-login claims in userinfo). */
  first?: ResponseHook,
): ResponseInterceptor {
  return async (request, reply, payload) => {
    if (payload !== undefined && payload !== null && typeof payload !== 'string') return payload
    const chain = [first, hooks.beforeResponse, once?.take('beforeResponse')].filter((h) => h !== undefined)
    if (chain.length === 0) return payload
    const hook: ResponseHook = async (response, context) => {
      let current = response
      for (const next of chain) current = (await next(current, context)) ?? current
      return current
    }
    const text = typeof payload === 'string' ? payload : ''
    const response: HookedResponse = { status: reply.statusCode, headers: headersOf(reply), body: parseBody(text) }
    const before = { ...response.headers }
    const changed =
      (await hook(response, {
        route,
        request: { method: request.method, url: request.url, headers: request.headers, body: request.body },
      })) ?? response
    reply.code(changed.status)
    for (const name of Object.keys(before)) if (!(name in changed.headers)) reply.removeHeader(name)
    for (const [name, value] of Object.entries(changed.headers))
      if (name !== 'content-length') reply.header(name, value)
    if (changed.body === undefined) return ''
    if (typeof changed.body === 'string') return changed.body
    if (!reply.hasHeader('content-type')) reply.type('application/json; charset=utf-8')
    return JSON.stringify(changed.body)
  }
}

function headersOf(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined || name.toLowerCase() === 'content-length') continue
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return headers
}

function parseBody(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
