// RFC 8628 §5.1: a user code is short, so guessing one must be slowed down.
// Wrong codes are counted per browser session and across the whole server,
// each in a fixed window: a few numbers, whatever the traffic (memory stays
// bounded; a session's count lives in the session, which the session store
// caps). While either limit is reached, no code is checked at all.

import type { FastifyRequest } from 'fastify'

/** Wrong codes one session may enter per window. */
export const SESSION_MAX_WRONG = 5
export const SESSION_WINDOW_MS = 10 * 60_000
/** Wrong codes all sessions together may enter per window: a guesser with fresh cookies meets this one. */
export const GLOBAL_MAX_WRONG = 50
export const GLOBAL_WINDOW_MS = 60_000

declare module 'fastify' {
  interface Session {
    /** Wrong user codes this session entered since `since` (RFC 8628 §5.1). */
    deviceWrongCodes?: { count: number; since: number }
  }
}

export interface WrongCodeLimit {
  /** Seconds to wait when a limit is reached, else undefined. */
  retryAfter(request: FastifyRequest, now: number): number | undefined
  recordWrong(request: FastifyRequest, now: number): void
}

export function createWrongCodeLimit(): WrongCodeLimit {
  let global = { count: 0, since: 0 }
  const current = (window: { count: number; since: number } | undefined, now: number, span: number) =>
    window && now - window.since < span ? window : { count: 0, since: now }
  const wait = (window: { since: number }, span: number, now: number) =>
    Math.max(1, Math.ceil((window.since + span - now) / 1000))
  return {
    retryAfter(request, now) {
      global = current(global, now, GLOBAL_WINDOW_MS)
      if (global.count >= GLOBAL_MAX_WRONG) return wait(global, GLOBAL_WINDOW_MS, now)
      const own = current(request.session.deviceWrongCodes, now, SESSION_WINDOW_MS)
      if (own.count >= SESSION_MAX_WRONG) return wait(own, SESSION_WINDOW_MS, now)
      return undefined
    },
    recordWrong(request, now) {
      global = current(global, now, GLOBAL_WINDOW_MS)
      global.count++
      const own = current(request.session.deviceWrongCodes, now, SESSION_WINDOW_MS)
      request.session.deviceWrongCodes = { count: own.count + 1, since: own.since }
    },
  }
}
