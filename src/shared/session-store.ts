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

/** One save of a session: its id and the save's stamp. */
interface Save {
  readonly id: string
  readonly stamp: number
}

/**
 * Saves in order, oldest first, as a plain queue: a slot goes stale when its
 * session is saved again or forgotten, and stale slots are skipped, then
 * dropped once they outnumber the live ones, so both the queue and each step
 * are bounded. (A long-lived Map iterator would do the same work but keeps
 * every hash table the Map ever outgrew, and all it held, alive in V8.)
 */
function createSaveOrder(isCurrent: (save: Save) => boolean) {
  let queue: Save[] = []
  let head = 0
  return {
    push(save: Save, live: number): void {
      queue.push(save)
      if (queue.length - head > 2 * live + 1024) {
        queue = queue.slice(head).filter(isCurrent)
        head = 0
      }
    },
    /** The id of the oldest current save, taken off the queue: the caller forgets it. */
    takeOldest(): string | undefined {
      while (head < queue.length) {
        const save = queue[head++]
        if (save !== undefined && isCurrent(save)) return save.id
      }
      return undefined
    },
    clear(): void {
      queue = []
      head = 0
    },
  }
}

interface Entry {
  /**
   * The session as JSON, as the durable store keeps it: the plugin's Session
   * object holds its request, which a stored object would keep alive.
   */
  readonly json: string
  readonly expiresAt: number
  readonly anonymous: boolean
  /** Which save this is, to tell the queues' current slots from stale ones. */
  readonly stamp: number
}

export function createExpiringSessionStore(
  ttlMs: number,
  isEstablished: IsEstablished,
  now: () => number = Date.now,
  limits: SessionLimits = SESSION_LIMITS,
): SessionStore {
  const sessions = new Map<string, Entry>()
  let anonymousCount = 0
  let stamps = 0
  const current = (save: Save) => sessions.get(save.id)?.stamp === save.stamp
  const allSaves = createSaveOrder(current)
  const anonymousSaves = createSaveOrder(current)
  let lastSweep = now()

  function forget(id: string): void {
    if (sessions.get(id)?.anonymous === true) anonymousCount--
    sessions.delete(id)
  }

  function sweep(t: number): void {
    if (t - lastSweep < SESSION_SWEEP_INTERVAL_MS) return
    lastSweep = t
    for (const [id, entry] of sessions) if (entry.expiresAt <= t) forget(id)
  }

  // Oldest out first: anonymous ones beyond their cap, then any beyond the total.
  function dropOldest(size: () => number, cap: number, takeOldest: () => string | undefined): void {
    while (size() > cap) {
      const id = takeOldest()
      if (id === undefined) return
      forget(id)
    }
  }
  function trim(): void {
    dropOldest(
      () => anonymousCount,
      limits.maxAnonymous,
      () => anonymousSaves.takeOldest(),
    )
    dropOldest(
      () => sessions.size,
      limits.maxSessions,
      () => allSaves.takeOldest(),
    )
  }

  return {
    set(sessionId: string, session: Session, callback: Callback): void {
      const t = now()
      sweep(t)
      const anonymous = !isEstablished(session)
      const save = { id: sessionId, stamp: ++stamps }
      forget(sessionId)
      sessions.set(sessionId, {
        json: JSON.stringify(session),
        expiresAt: sessionExpiry(t, ttlMs, anonymous, limits),
        anonymous,
        stamp: save.stamp,
      })
      allSaves.push(save, sessions.size)
      if (anonymous) {
        anonymousCount++
        anonymousSaves.push(save, anonymousCount)
      }
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
      anonymousCount = 0
      allSaves.clear()
      anonymousSaves.clear()
    },
  }
}
