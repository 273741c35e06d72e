// Form bodies (RFC 6749 §3.2: the token endpoint's only format), parsed by
// @fastify/formbody. The parsed object also carries the raw text under a
// symbol, so the flow recorder can show the body exactly as sent without
// copying the request stream.

import type { FastifyInstance } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import { parse } from 'node:querystring'

export const RAW_BODY = Symbol('oauth-lab.rawBody')

function parseKeepingRaw(text: string): Record<string, unknown> {
  // node:querystring keeps repeated keys as arrays, which the routes refuse (RFC 6749 §3.2).
  const body: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, parse(text))
  Object.defineProperty(body, RAW_BODY, { value: text, enumerable: false })
  return body
}

export async function registerFormBody(app: FastifyInstance): Promise<void> {
  await app.register(fastifyFormbody, { parser: parseKeepingRaw })
}

/** The raw text of a parsed form body, if the request had one. */
export function rawFormBody(body: unknown): string | undefined {
  return body !== null && typeof body === 'object'
    ? ((body as Record<symbol, unknown>)[RAW_BODY] as string | undefined)
    : undefined
}
