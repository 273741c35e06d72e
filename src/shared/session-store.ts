// A session store for @fastify/session that forgets expired sessions and
// stays bounded under any traffic. The plugin's own MemoryStore never deletes
// a session, and every anonymous visit to a page with a form (the login
// page's CSRF secret, step 1's state and PKCE verifier) saves one: without
// bounds, a script of cookie-less requests grows memory until the process
// dies. So an anonymous session is short-lived and their number capped, and
// every store is capped in all, oldest out first.

import type { Session } from 'fastify'

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: Session | null) => void

/**
 * What @fastify/session asks of a store (set, get, destroy, by callback), and
 * what the lab adds: `size` for tests that check purging, `clear` for
 * `lab.reset()`. Kept in memory here, or in SQLite by the durable store.
 * Both honour the same bounds (`SessionLimits`).
 */
export interface SessionStore {
  /** Keeps the session from now: the store's lifetime if established, the anonymous one otherwise. */
  set(sessionId: string, session: Session, callback: Callback): void
  /** The session, or null when unknown, expired or pushed out: an expired one is never returned. */
  get(sessionId: string, callback: GetCallback): void
  destroy(sessionId: string, callback: Callback): void
  size(): number
  clear(): void
}

/**
 * Tells a session worth its full lifetime (the authorization server: a user
 * signed in; the client app: a token held) from an anonymous one, which anyone
 * can make by the thousand with one cookie-less request each. Each role passes
 * its own.
 */
export type IsEstablished = (session: Session) => boolean

export interface SessionLimits {
  /** Lifetime of an anonymous session from its last save: enough to sign in and consent. */
  readonly anonymousTtlMs: number
  /** Anonymous sessions kept at most; beyond, the least recently saved goes first. */
  readonly maxAnonymous: number
  /** Sessions of any kind kept at most; beyond, the least recently saved goes first. */
  readonly maxSessions: number
}

/**
 * The bounds of every session store. 10,000 anonymous sessions of about 1 kB
 * are ~10 MB; a flood pushes out only other anonymous sessions (people midway
 * through signing in, who start again), never a signed-in one, until the
 * total cap, which no honest lab reaches.
 */
export const SESSION_LIMITS: SessionLimits = {
  anonymousTtlMs: 10 * 60_000,
  maxAnonymous: 10_000,
  maxSessions: 100_000,
}

/** Expired sessions are swept at most this often, on use (as the auth store's SWEEP_INTERVAL_MS). */
export const SESSION_SWEEP_INTERVAL_MS = 1000

/** When a session saved at `t` expires: a store's lifetime, or the (never longer) anonymous one. */
export function sessionExpiry(t: number, ttlMs: number, anonymous: boolean, limits: SessionLimits): number {
  return t + (anonymous ? Math.min(ttlMs, limits.anonymousTtlMs) : ttlMs)
}

/**
 * The keys of a Map or Set in insertion order, one per call, for callers that
 * delete each key they get: everything before the cursor is gone, so what it
 * gives is always the oldest key left. Starts again once it has reached the
 * end (an iterator that is done stays done).
 */
function oldestFirst<K>(keys: () => IterableIterator<K>): () => K | undefined {
  let cursor = keys()
  return () => {
    let next = cursor.next()
    if (next.done === true) {
      cursor = keys()
      next = cursor.next()
    }
    return next.done === true ? undefined : next.value
  }
}

interface Entry {
  /**
   * The session as JSON, as the durable store keeps it: the plugin's Session
   * object holds its request, which a stored object would keep alive.
   */
  readonly json: string
  readonly expiresAt: number
}

export function createExpiringSessionStore(
  ttlMs: number,
  isEstablished: IsEstablished,
  now: () => number = Date.now,
  limits: SessionLimits = SESSION_LIMITS,
): SessionStore {
  // Both in order of last save (a save deletes then re-inserts): the first is the oldest.
  const sessions = new Map<string, Entry>()
  const anonymous = new Set<string>()
  let lastSweep = now()

  function forget(id: string): void {
    sessions.delete(id)
    anonymous.delete(id)
  }

  function sweep(t: number): void {
    if (t - lastSweep < SESSION_SWEEP_INTERVAL_MS) return
    lastSweep = t
    for (const [id, entry] of sessions) if (entry.expiresAt <= t) forget(id)
  }

  // Oldest out first. Live iterators: a Map or Set keeps deleted slots until it
  // is rehashed, and a loop from the start would skip them all at every save.
  const oldestAnonymous = oldestFirst(() => anonymous.values())
  const oldestSession = oldestFirst(() => sessions.keys())
  function dropOldest(size: () => number, cap: number, oldest: () => string | undefined): void {
    while (size() > cap) {
      const id = oldest()
      if (id === undefined) return
      forget(id)
    }
  }
  function trim(): void {
    dropOldest(() => anonymous.size, limits.maxAnonymous, oldestAnonymous)
    dropOldest(() => sessions.size, limits.maxSessions, oldestSession)
  }

  return {
    set(sessionId: string, session: Session, callback: Callback): void {
      const t = now()
      sweep(t)
      const isAnonymous = !isEstablished(session)
      forget(sessionId)
      sessions.set(sessionId, {
        json: JSON.stringify(session),
        expiresAt: sessionExpiry(t, ttlMs, isAnonymous, limits),
      })
      if (isAnonymous) anonymous.add(sessionId)
      trim()
      callback()
    },
    get(sessionId: string, callback: GetCallback): void {
      const entry = sessions.get(sessionId)
      const live = entry !== undefined && entry.expiresAt > now()
      if (entry && !live) forget(sessionId)
      callback(null, live ? (JSON.parse(entry.json) as Session) : null)
    },
    destroy(sessionId: string, callback: Callback): void {
      forget(sessionId)
      callback()
    },
    size(): number {
      return sessions.size
    },
    clear(): void {
      sessions.clear()
      anonymous.clear()
    },
  }
}
