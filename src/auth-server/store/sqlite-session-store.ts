// The sign-in sessions in SQLite (STORE=sqlite): the same interface as
// src/shared/session-store.ts, so a remembered sign-in survives a restart.

import type { Session } from 'fastify'
import type { SqliteDatabase } from './sqlite-store.js'

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: Session | null) => void

export function createSqliteSessionStore(db: SqliteDatabase, ttlMs: number, now: () => number = Date.now) {
  const upsert = db.prepare('INSERT OR REPLACE INTO sessions (id, session, expires_at) VALUES (?, ?, ?)')
  const select = db.prepare('SELECT session, expires_at FROM sessions WHERE id = ?')
  const remove = db.prepare('DELETE FROM sessions WHERE id = ?')
  const purge = db.prepare('DELETE FROM sessions WHERE expires_at <= ?')
  let lastSweep = now()

  function sweep(t: number): void {
    if (t - lastSweep < 10_000) return
    lastSweep = t
    purge.run(t)
  }

  return {
    set(sessionId: string, session: Session, callback: Callback): void {
      try {
        const t = now()
        sweep(t)
        upsert.run(sessionId, JSON.stringify(session), t + ttlMs)
        callback()
      } catch (error) {
        callback(error)
      }
    },
    get(sessionId: string, callback: GetCallback): void {
      try {
        const row = select.get(sessionId) as { session: string; expires_at: number } | undefined
        if (row && row.expires_at <= now()) remove.run(sessionId)
        callback(null, row && row.expires_at > now() ? (JSON.parse(row.session) as Session) : null)
      } catch (error) {
        callback(error)
      }
    },
    destroy(sessionId: string, callback: Callback): void {
      try {
        remove.run(sessionId)
        callback()
      } catch (error) {
        callback(error)
      }
    },
    size(): number {
      return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n
    },
    clear(): void {
      db.exec('DELETE FROM sessions')
    },
  }
}
