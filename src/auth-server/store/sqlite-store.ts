// A durable store (STORE=sqlite:<path>): the memory store's maps stay the
// working copy, and everything that must survive a restart (remembered
// grants, token families, refresh tokens, revoked jtis, opaque tokens, signing
// keys, sign-in sessions) is written through to SQLite, each write in its own
// transaction (WAL, synchronous=FULL), and loaded back at start. Codes live
// 60 s and stay in memory only. better-sqlite3 is loaded only when chosen.

import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import type { StoredSigningKeys } from '../tokens/keys.js'
import {
  createMemoryStore,
  type AuthStore,
  type OpaqueAccessToken,
  type RefreshToken,
  type RememberedGrant,
  type TokenFamily,
} from './memory-store.js'

export type SqliteDatabase = BetterSqlite3.Database

const SWEEP_INTERVAL_MS = 10_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS grants (sub TEXT NOT NULL, client_id TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (sub, client_id));
CREATE TABLE IF NOT EXISTS families (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, sub TEXT NOT NULL, scopes TEXT NOT NULL, auth_time INTEGER NOT NULL, revoked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS family_access_tokens (family_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (family_id, jti));
CREATE TABLE IF NOT EXISTS refresh_tokens (hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, expires_at INTEGER NOT NULL, rotated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revoked_jtis (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS opaque_tokens (hash TEXT PRIMARY KEY, claims TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signing_keys (position INTEGER PRIMARY KEY, kid TEXT NOT NULL, alg TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, session TEXT NOT NULL, expires_at INTEGER NOT NULL);
`

/** Opens (creating if needed) the database file; better-sqlite3 is required here, never at import. */
export function openDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const require = createRequire(import.meta.url)
  const Database = require('better-sqlite3') as typeof BetterSqlite3
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.exec(SCHEMA)
  return db
}

export interface SqliteAuthStore extends AuthStore {
  readonly db: SqliteDatabase
  /** The stored signing keys, current first (at most two: current and previous). */
  loadSigningKeys(): StoredSigningKeys[]
  /** Replaces the stored signing keys, current first. */
  saveSigningKeys(keys: readonly StoredSigningKeys[]): void
  /** Deletes expired rows now (also done as the store is used, every 10 s at most). */
  purgeExpired(): void
  close(): void
}

export function createSqliteStore(path: string, now: () => number): SqliteAuthStore {
  const db = openDatabase(path)
  const mem = createMemoryStore(now)

  const st = {
    upsertGrant: db.prepare('INSERT OR REPLACE INTO grants (sub, client_id, scopes, created_at) VALUES (?, ?, ?, ?)'),
    deleteGrant: db.prepare('DELETE FROM grants WHERE sub = ? AND client_id = ?'),
    upsertFamily: db.prepare(
      'INSERT OR REPLACE INTO families (id, client_id, sub, scopes, auth_time, revoked) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    revokeFamily: db.prepare('UPDATE families SET revoked = 1 WHERE id = ?'),
    familiesOf: db.prepare('SELECT id FROM families WHERE sub = ? AND client_id = ? AND revoked = 0'),
    addAccess: db.prepare('INSERT OR REPLACE INTO family_access_tokens (family_id, jti, expires_at) VALUES (?, ?, ?)'),
    upsertRefresh: db.prepare(
      'INSERT OR REPLACE INTO refresh_tokens (hash, family_id, expires_at, rotated) VALUES (?, ?, ?, ?)',
    ),
    markRotated: db.prepare('UPDATE refresh_tokens SET rotated = 1 WHERE hash = ?'),
    revoke: db.prepare('INSERT OR REPLACE INTO revoked_jtis (jti, expires_at) VALUES (?, ?)'),
    upsertOpaque: db.prepare('INSERT OR REPLACE INTO opaque_tokens (hash, claims, expires_at) VALUES (?, ?, ?)'),
  }

  const tx = <A extends unknown[]>(fn: (...args: A) => void) => db.transaction(fn)

  const persistRevokedFamily = tx((id: string) => {
    st.revokeFamily.run(id)
    for (const a of mem.findFamily(id)?.accessTokenIds ?? []) st.revoke.run(a.jti, a.expiresAt)
  })

  const purge = tx((t: number) => {
    db.prepare('DELETE FROM revoked_jtis WHERE expires_at <= ?').run(t)
    db.prepare('DELETE FROM refresh_tokens WHERE expires_at <= ?').run(t)
    db.prepare('DELETE FROM opaque_tokens WHERE expires_at <= ?').run(t)
    db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(t)
    // A family goes once it has no refresh token left and no live access token, as in memory.
    db.prepare(
      `DELETE FROM families WHERE id NOT IN (SELECT family_id FROM refresh_tokens)
         AND id NOT IN (SELECT family_id FROM family_access_tokens WHERE expires_at > ?)`,
    ).run(t)
    db.prepare('DELETE FROM family_access_tokens WHERE family_id NOT IN (SELECT id FROM families)').run()
  })

  let lastSweep = now()
  function sweep(): void {
    const t = now()
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    purge(t)
  }

  // Load what survived the last run.
  load()
  function load(): void {
    const t = now()
    for (const g of db.prepare('SELECT * FROM grants').all() as Array<{
      sub: string
      client_id: string
      scopes: string
      created_at: number
    }>) {
      mem.rememberGrant({
        sub: g.sub,
        clientId: g.client_id,
        scopes: JSON.parse(g.scopes) as string[],
        createdAt: g.created_at,
      })
    }
    const access = new Map<string, Array<{ jti: string; expiresAt: number }>>()
    for (const a of db.prepare('SELECT * FROM family_access_tokens').all() as Array<{
      family_id: string
      jti: string
      expires_at: number
    }>) {
      const list = access.get(a.family_id) ?? []
      list.push({ jti: a.jti, expiresAt: a.expires_at })
      access.set(a.family_id, list)
    }
    type FamilyRow = { id: string; client_id: string; sub: string; scopes: string; auth_time: number; revoked: number }
    for (const f of db.prepare('SELECT * FROM families').all() as FamilyRow[]) {
      const family: TokenFamily = {
        id: f.id,
        clientId: f.client_id,
        sub: f.sub,
        scopes: JSON.parse(f.scopes) as string[],
        authTime: f.auth_time,
        accessTokenIds: access.get(f.id) ?? [],
        revoked: f.revoked === 1,
      }
      mem.saveFamily(family)
    }
    for (const r of db.prepare('SELECT * FROM refresh_tokens WHERE expires_at > ?').all(t) as Array<{
      hash: string
      family_id: string
      expires_at: number
      rotated: number
    }>) {
      mem.saveRefreshToken({ hash: r.hash, familyId: r.family_id, expiresAt: r.expires_at, rotated: r.rotated === 1 })
    }
    for (const r of db.prepare('SELECT * FROM revoked_jtis WHERE expires_at > ?').all(t) as Array<{
      jti: string
      expires_at: number
    }>) {
      mem.revokeToken(r.jti, r.expires_at)
    }
    for (const o of db.prepare('SELECT * FROM opaque_tokens WHERE expires_at > ?').all(t) as Array<{
      hash: string
      claims: string
      expires_at: number
    }>) {
      mem.saveOpaqueToken({
        hash: o.hash,
        claims: JSON.parse(o.claims) as Record<string, unknown>,
        expiresAt: o.expires_at,
      })
    }
  }

  const store: SqliteAuthStore = {
    ...mem,
    db,
    saveCode(code) {
      sweep()
      mem.saveCode(code)
    },
    findCode(code) {
      sweep()
      return mem.findCode(code)
    },
    rememberGrant(grant: RememberedGrant) {
      mem.rememberGrant(grant)
      const merged = mem.findGrant(grant.sub, grant.clientId)
      if (merged) st.upsertGrant.run(merged.sub, merged.clientId, JSON.stringify(merged.scopes), merged.createdAt)
    },
    forgetGrant(sub, clientId) {
      st.deleteGrant.run(sub, clientId)
      return mem.forgetGrant(sub, clientId)
    },
    revokeToken(jti, expiresAt) {
      sweep()
      st.revoke.run(jti, expiresAt)
      mem.revokeToken(jti, expiresAt)
    },
    saveFamily(family: TokenFamily) {
      sweep()
      tx(() => {
        st.upsertFamily.run(
          family.id,
          family.clientId,
          family.sub,
          JSON.stringify(family.scopes),
          family.authTime,
          family.revoked ? 1 : 0,
        )
        for (const a of family.accessTokenIds) st.addAccess.run(family.id, a.jti, a.expiresAt)
      })()
      mem.saveFamily(family)
    },
    revokeFamily(id) {
      mem.revokeFamily(id)
      if (mem.findFamily(id)) persistRevokedFamily(id)
    },
    revokeFamiliesOf(sub, clientId) {
      const ids = (st.familiesOf.all(sub, clientId) as Array<{ id: string }>).map((r) => r.id)
      const count = mem.revokeFamiliesOf(sub, clientId)
      tx(() => {
        for (const id of ids) persistRevokedFamily(id)
      })()
      return count
    },
    recordAccessToken(familyId, entry) {
      st.addAccess.run(familyId, entry.jti, entry.expiresAt)
      mem.recordAccessToken(familyId, entry)
    },
    saveRefreshToken(token: RefreshToken) {
      st.upsertRefresh.run(token.hash, token.familyId, token.expiresAt, token.rotated ? 1 : 0)
      mem.saveRefreshToken(token)
    },
    markRotated(hash) {
      st.markRotated.run(hash)
      mem.markRotated(hash)
    },
    saveOpaqueToken(token: OpaqueAccessToken) {
      sweep()
      st.upsertOpaque.run(token.hash, JSON.stringify(token.claims), token.expiresAt)
      mem.saveOpaqueToken(token)
    },
    clear() {
      tx(() => {
        for (const table of [
          'grants',
          'families',
          'family_access_tokens',
          'refresh_tokens',
          'revoked_jtis',
          'opaque_tokens',
        ])
          db.exec(`DELETE FROM ${table}`)
      })()
      mem.clear()
    },
    loadSigningKeys() {
      const rows = db.prepare('SELECT * FROM signing_keys ORDER BY position').all() as Array<{
        kid: string
        alg: string
        private_jwk: string
        public_jwk: string
      }>
      return rows.map((r) => ({
        kid: r.kid,
        alg: r.alg as StoredSigningKeys['alg'],
        privateJwk: JSON.parse(r.private_jwk) as StoredSigningKeys['privateJwk'],
        publicJwk: JSON.parse(r.public_jwk) as StoredSigningKeys['publicJwk'],
      }))
    },
    saveSigningKeys(keys) {
      tx(() => {
        db.exec('DELETE FROM signing_keys')
        const insert = db.prepare(
          'INSERT INTO signing_keys (position, kid, alg, private_jwk, public_jwk) VALUES (?, ?, ?, ?, ?)',
        )
        keys.forEach((k, i) => insert.run(i, k.kid, k.alg, JSON.stringify(k.privateJwk), JSON.stringify(k.publicJwk)))
      })()
    },
    purgeExpired() {
      lastSweep = now()
      purge(lastSweep)
    },
    close() {
      if (db.open) db.close()
    },
  }
  return store
}
