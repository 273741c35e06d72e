// The session stores stay bounded under any traffic: anonymous sessions are
// short-lived and capped, every store is capped in all, oldest out first. The
// same cases for the store in memory and the SQLite one (on a temp file).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Session } from 'fastify'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createSqliteSessionStore } from '../../src/auth-server/store/sqlite-session-store.js'
import { openDatabase, type SqliteDatabase } from '../../src/auth-server/store/sqlite-store.js'
import {
  createExpiringSessionStore,
  SESSION_LIMITS,
  type IsEstablished,
  type SessionLimits,
  type SessionStore,
} from '../../src/shared/session-store.js'
import { testClock, type TestClock } from '../helpers/auth-server.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-sessions-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0

const HOUR = 3_600_000
const isEstablished: IsEstablished = (session) => session.user !== undefined

interface Subject {
  readonly sessions: SessionStore
  /** Runs many saves at once: in one transaction for SQLite, so that 40,000 take a second, not minutes. */
  readonly batch: (run: () => void) => void
  close(): void
}

type Open = (clock: TestClock, limits?: SessionLimits) => Subject

const implementations: Array<[string, Open]> = [
  [
    'memory',
    (clock, limits) => ({
      sessions: createExpiringSessionStore(8 * HOUR, isEstablished, clock.now, limits),
      batch: (run) => run(),
      close: () => undefined,
    }),
  ],
  [
    'sqlite',
    (clock, limits) => {
      const db: SqliteDatabase = openDatabase(join(dir, `sessions-${++files}.db`), () => undefined)
      return {
        sessions: createSqliteSessionStore(db, 8 * HOUR, isEstablished, clock.now, limits),
        batch: (run) => db.transaction(run)(),
        close: () => db.close(),
      }
    },
  ],
]

const anonymous = (id: string) => ({ _csrf: `secret-${id}` }) as unknown as Session
const signedIn = (id: string) => ({ user: { sub: id, authTime: 1 } }) as unknown as Session

function set(store: SessionStore, id: string, session: Session): void {
  store.set(id, session, (error) => {
    if (error) throw error as Error
  })
}

function get(store: SessionStore, id: string): Session | null | undefined {
  let found: Session | null | undefined
  store.get(id, (error, session) => {
    if (error) throw error as Error
    found = session
  })
  return found
}

describe.each(implementations)('session store bounds: %s', (_name, open) => {
  let subject: Subject | undefined
  afterEach(() => subject?.close())

  it('keeps at most the anonymous cap of 40,000 anonymous sessions, the newest, and every signed-in one', () => {
    const clock = testClock(1_000_000_000)
    subject = open(clock)
    const { sessions } = subject
    for (let i = 0; i < 5; i++) set(sessions, `user-${i}`, signedIn(`u${i}`))
    subject.batch(() => {
      for (let i = 0; i < 40_000; i++) set(sessions, `anon-${i}`, anonymous(String(i)))
    })
    expect(sessions.size()).toBe(SESSION_LIMITS.maxAnonymous + 5)
    expect(get(sessions, 'anon-0')).toBeNull()
    expect(get(sessions, 'anon-39999')).toEqual(anonymous('39999'))
    for (let i = 0; i < 5; i++) expect(get(sessions, `user-${i}`)).toEqual(signedIn(`u${i}`))
  })

  it('forgets an anonymous session after the short lifetime, a signed-in one only after the full one', () => {
    const clock = testClock(1_000_000_000)
    subject = open(clock)
    const { sessions } = subject
    set(sessions, 'anon', anonymous('a'))
    set(sessions, 'user', signedIn('alice'))
    clock.advance(SESSION_LIMITS.anonymousTtlMs - 1)
    expect(get(sessions, 'anon')).toEqual(anonymous('a'))
    clock.advance(1)
    expect(get(sessions, 'anon')).toBeNull()
    expect(get(sessions, 'user')).toEqual(signedIn('alice'))
    // Signing in saves the session again: from then on it lives the full lifetime.
    set(sessions, 'anon', anonymous('b'))
    set(sessions, 'anon', { ...anonymous('b'), ...signedIn('bob') })
    clock.advance(2 * SESSION_LIMITS.anonymousTtlMs)
    expect(get(sessions, 'anon')).toMatchObject(signedIn('bob'))
    clock.advance(8 * HOUR)
    expect(get(sessions, 'user')).toBeNull()
    expect(get(sessions, 'anon')).toBeNull()
    // Expired ones are swept on use, as before.
    set(sessions, 'fresh', anonymous('f'))
    expect(sessions.size()).toBe(1)
  })

  it('caps the store in all, the least recently saved out first, signed-in or not', () => {
    const clock = testClock(1_000_000_000)
    subject = open(clock, { anonymousTtlMs: 60_000, maxAnonymous: 3, maxSessions: 5 })
    const { sessions } = subject
    for (const id of ['u1', 'u2', 'u3', 'u4']) set(sessions, id, signedIn(id))
    for (const id of ['a1', 'a2', 'a3', 'a4']) set(sessions, id, anonymous(id))
    // Anonymous: a1 pushed out by a4 (cap 3). In all: u1, u2 pushed out (cap 5).
    expect(sessions.size()).toBe(5)
    expect(['u1', 'u2', 'u3', 'u4', 'a1', 'a2', 'a3', 'a4'].filter((id) => get(sessions, id) !== null)).toEqual([
      'u3',
      'u4',
      'a2',
      'a3',
      'a4',
    ])
    // Saved again, u3 is the newest: u4 goes before it.
    set(sessions, 'u3', signedIn('u3'))
    set(sessions, 'u5', signedIn('u5'))
    expect(get(sessions, 'u4')).toBeNull()
    expect(get(sessions, 'u3')).toEqual(signedIn('u3'))
    // A destroyed session frees its place.
    sessions.destroy('u3', () => undefined)
    set(sessions, 'u6', signedIn('u6'))
    expect(get(sessions, 'a2')).toEqual(anonymous('a2'))
    expect(sessions.size()).toBe(5)
    sessions.clear()
    expect(sessions.size()).toBe(0)
  })
})
