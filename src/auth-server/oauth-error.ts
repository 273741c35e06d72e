// The authorization server's one error type and the three wire formats it maps
// to: RFC 6749 §5.2 JSON (token, introspection, revocation), the §4.1.2.1
// redirect back to the client, and an HTML page where a redirect would be unsafe.

import type { FastifyReply } from 'fastify'
import { renderErrorPage as renderHtmlError } from '../shared/html.js'

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  /** RFC 8707 §2: the requested resource is invalid, missing, unknown, or malformed. */
  | 'invalid_target'
  | 'access_denied'
  | 'login_required'
  | 'consent_required'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 8628 §3.5: the device grant's polling answers.
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  // RFC 9449 §5, §8.
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

export class OAuthError extends Error {
  override name = 'OAuthError'
  readonly error: OAuthErrorCode
  readonly description: string
  readonly status: number
  /** Set when the client tried HTTP Basic: RFC 6749 §5.2 then requires 401 + WWW-Authenticate. */
  readonly wwwAuthenticate?: string

  constructor(error: OAuthErrorCode, description: string, opts: { status?: number; wwwAuthenticate?: string } = {}) {
    super(description)
    this.error = error
    this.description = safeDescription(description)
    this.status = opts.status ?? (error === 'invalid_client' ? 401 : 400)
    this.wwwAuthenticate = opts.wwwAuthenticate
  }
}

// RFC 6749 §4.1.2.1 / §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
function safeDescription(text: string): string {
  return text.replace(/§/g, 'section ').replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ')
}

/** RFC 6749 §5.1/§5.2: token-bearing and error JSON must not be cached. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
}

/** RFC 6749 §5.2 JSON error. */
export function sendJsonError(reply: FastifyReply, err: OAuthError): FastifyReply {
  noStore(reply).code(err.status)
  if (err.wwwAuthenticate) reply.header('www-authenticate', err.wwwAuthenticate)
  return reply.send({ error: err.error, error_description: err.description })
}

/**
 * The URL the browser is sent back to: the registered redirect URI with its
 * own query kept (RFC 6749 §3.1.2) and the response parameters added.
 */
export function redirectUrl(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri)
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.append(key, value)
  }
  return url.href
}

/**
 * How the authorization response travels back (OAuth 2.0 Multiple Response
 * Type Encoding Practices §2.1, OAuth 2.0 Form Post Response Mode §2):
 * `query` (the default for `code`), `fragment`, or `form_post`.
 */
export type ResponseMode = 'query' | 'fragment' | 'form_post'
export const RESPONSE_MODES: readonly ResponseMode[] = ['query', 'fragment', 'form_post']

/** Where an authorization response goes: the verified redirect URI, in the request's response mode. */
export interface ResponseTarget {
  readonly redirectUri: string
  /** Absent: `query`. */
  readonly responseMode?: ResponseMode
}

/**
 * Sends the authorization response parameters to the client in its response
 * mode: a redirect with them in the query or after `#`, or (form_post) an
 * HTML page whose form POSTs them to the redirect URI.
 */
export function sendAuthorizationResponse(
  reply: FastifyReply,
  target: ResponseTarget,
  params: Record<string, string | undefined>,
  status: number,
): FastifyReply | Promise<string> {
  reply.header('cache-control', 'no-store')
  const mode = target.responseMode ?? 'query'
  if (mode === 'form_post') return renderFormPost(reply, target.redirectUri, params)
  const location =
    mode === 'fragment' ? fragmentUrl(target.redirectUri, params) : redirectUrl(target.redirectUri, params)
  return reply.redirect(location, status)
}

/** Multiple Response Type Encoding Practices §2.1: the parameters form-encoded after `#`. */
function fragmentUrl(redirectUri: string, params: Record<string, string | undefined>): string {
  const fragment = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) fragment.append(key, value)
  }
  // Registered redirect URIs never have a fragment (RFC 6749 §3.1.2), so this one is the only one.
  return `${new URL(redirectUri).href}#${fragment.toString()}`
}

/**
 * OAuth 2.0 Form Post Response Mode §2: a page that POSTs the parameters to the
 * redirect URI. Under the CSP (script-src 'self') a served script submits it,
 * and its Continue button does without script. The parameters are secrets:
 * never cached (§2) and never in a Referer.
 */
function renderFormPost(
  reply: FastifyReply,
  redirectUri: string,
  params: Record<string, string | undefined>,
): Promise<string> {
  const fields = Object.entries(params).flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]))
  reply.code(200).header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/form-post', {
    title: 'Returning to the application',
    action: redirectUri,
    fields,
  })
}

/**
 * RFC 6749 §4.1.2.1 + RFC 9207 §2: the error goes back to the (already
 * verified) redirect URI with `error`, `error_description`, `state` and `iss`,
 * in the request's response mode.
 */
export function redirectError(
  reply: FastifyReply,
  target: ResponseTarget & { state?: string; issuer: string },
  err: OAuthError,
  status = 302,
): FastifyReply | Promise<string> {
  const params = {
    error: err.error,
    error_description: err.description,
    state: target.state,
    iss: target.issuer,
  }
  return sendAuthorizationResponse(reply, target, params, status)
}

/** An HTML error page: used where redirecting would make an open redirector (RFC 6749 §4.1.2.1). */
export function renderErrorPage(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  detail?: string,
): Promise<string> {
  return renderHtmlError(reply, status, { title, message, detail })
}
