// RFC 9449 §4.3 point 1: a request must carry exactly one DPoP header, so the
// header lines are read apart rather than joined.

import type { FastifyRequest } from 'fastify'

/** The request's `DPoP` header lines, each apart; undefined when there is none. */
export function dpopHeaderLines(request: FastifyRequest): readonly string[] | undefined {
  const joined = request.headers.dpop
  // Most requests carry no proof: asked first of the headers already parsed,
  // since headersDistinct builds an array for every header of the request on
  // first use (the token endpoint asks on every request).
  if (joined === undefined) return undefined
  // Node joins repeated unknown headers with ", "; headersDistinct keeps them apart.
  const distinct = (request.raw as { headersDistinct?: Record<string, string[] | undefined> }).headersDistinct
  if (distinct !== undefined) return distinct.dpop
  return typeof joined === 'string' ? [joined] : joined
}

/** The URL a proof's htu must name: the server's public URL and the request's path (RFC 9449 §4.3 point 9). */
export function requestHtu(publicUrl: string, request: FastifyRequest): string {
  const path = request.url.split(/[?#]/, 1)[0] ?? '/'
  return `${publicUrl.replace(/\/+$/, '')}${path}`
}
