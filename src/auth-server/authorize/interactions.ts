// An authorization request that waits in the session while the user signs in
// (step 2) or decides (step 3). Only its id travels in the forms; the request
// itself stays on the server, so a form cannot redirect anywhere it likes.

import type { FastifyRequest } from 'fastify'
import { randomSecret } from '../../shared/random.js'
import type { PendingInteraction } from '../account/sign-in-session.js'
import type { RawQuery } from './validate-request.js'

const INTERACTION_TTL_MS = 10 * 60_000
const MAX_PENDING = 20

/** The raw query string of a URL, parsed so that a repeated parameter stays visible as an array. */
export function parseQuery(raw: string): RawQuery {
  // No prototype: a parameter named `constructor` or `__proto__` is just a name.
  const query = Object.create(null) as Record<string, string | string[]>
  for (const [key, value] of new URLSearchParams(raw)) {
    const seen = query[key]
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return query
}

export function rawQueryOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? '' : url.slice(q + 1)
}

/** An authorization request to resume at /authorize once the user has signed in. */
export function authorizationInteraction(query: string, clientId: string): Omit<PendingInteraction, 'createdAt'> {
  return { resume: `/authorize?${query}`, query, clientId }
}

export function startInteraction(
  request: FastifyRequest,
  interaction: Omit<PendingInteraction, 'createdAt'>,
  now: number,
): string {
  const pending = { ...(request.session.interactions ?? {}) }
  const oldestFirst = Object.entries(pending).sort(([, a], [, b]) => a.createdAt - b.createdAt)
  for (const [id] of oldestFirst.slice(0, Math.max(0, oldestFirst.length - MAX_PENDING + 1))) delete pending[id]
  const id = randomSecret()
  pending[id] = { ...interaction, createdAt: now }
  request.session.interactions = pending
  return id
}

/** The pending interaction, or undefined when unknown or too old. */
export function findInteraction(request: FastifyRequest, id: unknown, now: number): PendingInteraction | undefined {
  if (typeof id !== 'string') return undefined
  const found = request.session.interactions?.[id]
  if (!found || now - found.createdAt > INTERACTION_TTL_MS) return undefined
  return found
}

export function endInteraction(request: FastifyRequest, id: string): void {
  const pending = { ...(request.session.interactions ?? {}) }
  delete pending[id]
  request.session.interactions = pending
}
