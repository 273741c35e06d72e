// A session store for @fastify/session that forgets expired sessions. The
// plugin's own MemoryStore never deletes one, so a long workshop or a
// benchmark of thousands of flows would grow memory without bound.

import type { Session } from 'fastify'

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: Session | null) => void

/**
 * What @fastify/session asks of a store (set, get, destroy, by callback), and
 * what the lab adds: `size` for tests that check purging, `clear` for
 * `lab.reset()`. Kept in memory here, or in SQLite by the durable store.
 */
export interface SessionStore {
  /** Keeps the session for the store's lifetime from now. */
  set(sessionId: string, session: Session, callback: Callback): void
  /** The session, or null when unknown or expired: an expired one is never returned. */
  get(sessionId: string, callback: GetCallback): void
  destroy(sessionId: string, callback: Callback): void
  size(): number
  clear(): void
}

/** Expired sessions are swept at most this often, on use (as the auth store's SWEEP_INTERVAL_MS). */
export const SESSION_SWEEP_INTERVAL_MS = 1000

export function createExpiringSessionStore(ttlMs: number, now: () => number = Date.now): SessionStore {
  const sessions = new Map<string, { session: Session; expiresAt: number }>()
  let lastSweep = now()

  function sweep(t: number): void {
    if (t - lastSweep < SESSION_SWEEP_INTERVAL_MS) return
    lastSweep = t
    for (const [id, entry] of sessions) if (entry.expiresAt <= t) sessions.delete(id)
  }

  return {
    set(sessionId: string, session: Session, callback: Callback): void {
      const t = now()
      sweep(t)
      sessions.set(sessionId, { session, expiresAt: t + ttlMs })
      callback()
    },
    get(sessionId: string, callback: GetCallback): void {
      const entry = sessions.get(sessionId)
      if (entry && entry.expiresAt <= now()) sessions.delete(sessionId)
      callback(null, entry && entry.expiresAt > now() ? entry.session : null)
    },
    destroy(sessionId: string, callback: Callback): void {
      sessions.delete(sessionId)
      callback()
    },
    size(): number {
      return sessions.size
    },
    clear(): void {
      sessions.clear()
    },
  }
}
