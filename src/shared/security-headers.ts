// Security headers of every HTML role (RFC 9700 §4.16 framing, §4.2.4
// referrer), computed by helmet ONCE per app and set on each response in one
// hook. @fastify/helmet rebuilt the whole helmet middleware, CSP directives
// parsed again, on every request: a profile of the flow showed it among the
// pages' largest costs for headers that never change.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route answers machines (JSON back channel), not pages; no page headers. */
    pageHeaders?: boolean
  }
}

/** The headers helmet sets for `options`, in its order, read from a stub response. */
export function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw new Error('helmet could not compute its headers', { cause: error })
  })
  return headers
}

/** Sets `helmetHeaders(options)` on every response of the app, except routes with `config.pageHeaders === false`. */
export const securityHeaders = fp<{ helmet: HelmetOptions }>(
  async (app: FastifyInstance, opts) => {
    const headers = helmetHeaders(opts.helmet)
    app.addHook('onRequest', (request, reply, done) => {
      if (request.routeOptions.config.pageHeaders !== false) reply.headers(headers)
      done()
    })
  },
  { name: 'oauth-lab-security-headers', fastify: '5.x' },
)
