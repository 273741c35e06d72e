// The sign-in sessions in SQLite (STORE=sqlite): the same SessionStore as the
// one in memory, with the same bounds, so a remembered sign-in survives a
// restart and a flood of anonymous requests cannot fill the disk.

import type { Session } from 'fastify'
import {
  SESSION_LIMITS,
  sessionExpiry,
  type IsEstablished,
  type SessionLimits,
  type SessionStore,
} from '../../shared/session-store.js'
import type { SqliteDatabase } from './sqlite-store.js'

/** A row of the `sessions` table. */
interface SessionRow {
  readonly session: string
  readonly expires_at: number
}

interface KindRow {
  readonly anonymous: 0 | 1
}

interface CountRow {
  readonly total: number
  readonly anonymous: number
}

/**
 * A save that failed (a full disk, a file made read-only): answered as a clean
 * 503 naming no internals (the page that would say so saves the session too,
 * so Fastify answers this error itself), the cause kept for the log.
 */
function unavailable(cause: unknown): Error {
  const error = new Error('The session could not be saved: the store cannot be written.', { cause })
  return Object.assign(error, { statusCode: 503, code: 'OAUTH_LAB_SESSION_NOT_SAVED' })
}

/** Expired sessions are deleted at most this often, on use. */
const SWEEP_INTERVAL_MS = 10_000

function prepareStatements(db: SqliteDatabase) {
  return {
    kind: db.prepare<[string], KindRow>('SELECT anonymous FROM sessions WHERE id = ?'),
    // INSERT OR REPLACE deletes the old row and inserts a new one with the
    // largest rowid: rowid order is the order of last save, oldest first.
    upsert: db.prepare<[string, string, number, 0 | 1]>(
      'INSERT OR REPLACE INTO sessions (id, session, expires_at, anonymous) VALUES (?, ?, ?, ?)',
    ),
    select: db.prepare<[string], SessionRow>('SELECT session, expires_at FROM sessions WHERE id = ?'),
    remove: db.prepare<[string], KindRow>('DELETE FROM sessions WHERE id = ? RETURNING anonymous'),
    evictAnonymous: db.prepare<[number], KindRow>(
      'DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE anonymous = 1 ORDER BY rowid LIMIT ?) RETURNING anonymous',
    ),
    evictAny: db.prepare<[number], KindRow>(
      'DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions ORDER BY rowid LIMIT ?) RETURNING anonymous',
    ),
    purge: db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?'),
    count: db.prepare<[], CountRow>('SELECT COUNT(*) AS total, COALESCE(SUM(anonymous), 0) AS anonymous FROM sessions'),
  }
}

/**
 * Counting rows is a scan, too slow for every save under a flood: the store
 * keeps both counts itself, exact because it alone deletes from the table,
 * and counts again at each sweep.
 */
export function createSqliteSessionStore(
  db: SqliteDatabase,
  ttlMs: number,
  isEstablished: IsEstablished,
  now: () => number = Date.now,
  limits: SessionLimits = SESSION_LIMITS,
): SessionStore {
  const st = prepareStatements(db)
  let counts = { total: 0, anonymous: 0 }
  const recount = () => {
    const row = st.count.get()
    counts = { total: row?.total ?? 0, anonymous: row?.anonymous ?? 0 }
  }
  const forgotten = (rows: readonly KindRow[]) => {
    counts.total -= rows.length
    counts.anonymous -= rows.filter((r) => r.anonymous === 1).length
  }
  recount()
  let lastSweep = now()

  function sweep(t: number): void {
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    st.purge.run(t)
    recount()
  }

  // One transaction per save: the row, and what it pushes out (oldest first), together.
  const save = db.transaction((sessionId: string, session: Session) => {
    const t = now()
    sweep(t)
    const anonymous = !isEstablished(session)
    const before = st.kind.get(sessionId)
    st.upsert.run(sessionId, JSON.stringify(session), sessionExpiry(t, ttlMs, anonymous, limits), anonymous ? 1 : 0)
    counts.total += before ? 0 : 1
    counts.anonymous += (anonymous ? 1 : 0) - (before?.anonymous ?? 0)
    if (counts.anonymous > limits.maxAnonymous) forgotten(st.evictAnonymous.all(counts.anonymous - limits.maxAnonymous))
    if (counts.total > limits.maxSessions) forgotten(st.evictAny.all(counts.total - limits.maxSessions))
  })
  const remove = (sessionId: string) => forgotten(st.remove.all(sessionId))

  return {
    set(sessionId, session, callback) {
      // A failed save is rolled back: so are the counts.
      const kept = { ...counts }
      let failure: unknown
      try {
        save(sessionId, session)
      } catch (error) {
        counts = kept
        failure = unavailable(error)
      }
      callback(failure)
    },
    get(sessionId, callback) {
      try {
        const row = st.select.get(sessionId)
        const live = row !== undefined && row.expires_at > now()
        if (row && !live) remove(sessionId)
        callback(null, live ? (JSON.parse(row.session) as Session) : null)
      } catch (error) {
        callback(error)
      }
    },
    destroy(sessionId, callback) {
      try {
        remove(sessionId)
        callback()
      } catch (error) {
        callback(error)
      }
    },
    size() {
      return st.count.get()?.total ?? 0
    },
    clear() {
      db.exec('DELETE FROM sessions')
      counts = { total: 0, anonymous: 0 }
    },
  }
}
