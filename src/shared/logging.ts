import type { FastifyServerOptions } from 'fastify'

// Secrets never reach the logs (the flow inspector shows them on purpose, in
// the lab, not here). These query parameters carry codes, tokens or secrets.
const SECRET_PARAMS = new Set([
  'code',
  'state',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'code_verifier',
  'password',
  '_csrf',
])

/** The URL with the values of secret-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const params = new URLSearchParams(url.slice(q + 1))
  for (const key of new Set(params.keys())) {
    if (SECRET_PARAMS.has(key)) params.set(key, '[redacted]')
  }
  return `${url.slice(0, q)}?${params.toString()}`
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
