// The sign-in sessions in SQLite (STORE=sqlite): the same SessionStore as the
// one in memory, so a remembered sign-in survives a restart.

import type { Session } from 'fastify'
import type { SessionStore } from '../../shared/session-store.js'
import type { SqliteDatabase } from './sqlite-store.js'

/** A row of the `sessions` table. */
interface SessionRow {
  readonly session: string
  readonly expires_at: number
}

interface CountRow {
  readonly n: number
}

/** Expired sessions are deleted at most this often, on use. */
const SWEEP_INTERVAL_MS = 10_000

export function createSqliteSessionStore(
  db: SqliteDatabase,
  ttlMs: number,
  now: () => number = Date.now,
): SessionStore {
  const upsert = db.prepare<[string, string, number]>(
    'INSERT OR REPLACE INTO sessions (id, session, expires_at) VALUES (?, ?, ?)',
  )
  const select = db.prepare<[string], SessionRow>('SELECT session, expires_at FROM sessions WHERE id = ?')
  const remove = db.prepare<[string]>('DELETE FROM sessions WHERE id = ?')
  const purge = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?')
  const count = db.prepare<[], CountRow>('SELECT COUNT(*) AS n FROM sessions')
  let lastSweep = now()

  function sweep(t: number): void {
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    purge.run(t)
  }

  return {
    set(sessionId, session, callback) {
      try {
        const t = now()
        sweep(t)
        upsert.run(sessionId, JSON.stringify(session), t + ttlMs)
        callback()
      } catch (error) {
        callback(error)
      }
    },
    get(sessionId, callback) {
      try {
        const row = select.get(sessionId)
        if (row && row.expires_at <= now()) remove.run(sessionId)
        callback(null, row && row.expires_at > now() ? (JSON.parse(row.session) as Session) : null)
      } catch (error) {
        callback(error)
      }
    },
    destroy(sessionId, callback) {
      try {
        remove.run(sessionId)
        callback()
      } catch (error) {
        callback(error)
      }
    },
    size() {
      return count.get()?.n ?? 0
    },
    clear() {
      db.exec('DELETE FROM sessions')
    },
  }
}
