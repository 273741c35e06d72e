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

/** The extension point claimsBeforeSigning: each kind of token has its own hook. */
export function claimsHooks(hooks: AuthServerHooks): AuthServerExtensions['claimsBeforeSigning'] {
  return (kind, claims, context) =>
    applyClaimsHook(kind === 'access_token' ? hooks.beforeTokenSigning : hooks.beforeIdTokenSigning, claims, context)
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
export function responseInterceptor(hooks: AuthServerHooks, route: HookedRoute): ResponseInterceptor {
  return async (request, reply, payload) => {
    const hook = hooks.beforeResponse
    if (!hook || (payload !== undefined && payload !== null && typeof payload !== 'string')) return payload
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
