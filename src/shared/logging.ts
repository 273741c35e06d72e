import type { FastifyServerOptions } from 'fastify'

// Secrets never reach the logs (the flow inspector shows them on purpose, in
// the lab, not here). These query parameters carry codes, tokens, secrets, or
// what ties a request to a person or a session: the ID token and login hints
// (OIDC Core §3.1.2.1), the nonce (§15.5.2), the lab key.
const SECRET_PARAMS = new Set([
  'code',
  'state',
  'nonce',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'login_hint',
  'token',
  'client_secret',
  'code_verifier',
  'lab_key',
  'password',
  '_csrf',
  // RFC 8628 §3.3.1 (the user code in verification_uri_complete) and RFC 9126 §4 (a one-time request_uri).
  'user_code',
  'device_code',
  'request_uri',
])

/**
 * A JWT or JWE (RFC 7519 §3, RFC 7516 §7.1: base64url parts joined by dots,
 * the first a JSON header, which starts `{"`, hence `eyJ`), whatever the
 * parameter or path segment carries it.
 */
const JWT_LIKE = /eyJ[\w-]*\.[\w-]*\.[\w-]*(?:\.[\w-]*\.[\w-]*)?/
const JWT_LIKE_ALL = new RegExp(JWT_LIKE.source, 'g')

/** The URL with the values of secret-bearing query parameters, and any JWT-like value, replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  // A substring test first: this runs for every logged request.
  const safePath = path.includes('eyJ') ? path.replace(JWT_LIKE_ALL, '[redacted]') : path
  if (q === -1) return safePath
  const params = new URLSearchParams(url.slice(q + 1))
  for (const [key, value] of [...params]) {
    if (SECRET_PARAMS.has(key) || JWT_LIKE.test(value)) params.set(key, '[redacted]')
  }
  return `${safePath}?${params.toString()}`
}

/** Fastify logger options: pino with the role's name and no secrets. */
export function loggerOptions(role: string, level: string): FastifyServerOptions['logger'] {
  return {
    level,
    base: { role },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip,
      }),
    },
  }
}
