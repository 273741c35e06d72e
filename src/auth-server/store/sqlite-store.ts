// A durable store (STORE=sqlite:<path>). A memory store is the working copy,
// loaded from the file at start; every operation of the contract is written
// out here, delegating to the working copy and writing what must survive a
// restart (remembered grants, token families, refresh tokens, revoked jtis,
// opaque tokens) through to SQLite, each write in its own transaction (WAL,
// synchronous=FULL). Signing keys and sign-in sessions live in the same file.
// Codes live 60 s and stay in memory only. better-sqlite3 is loaded only when
// chosen.
//
// The file holds the private signing keys: it and its -wal/-shm files are
// owner-only (0600), its directory too if the lab makes it (0700). At start a
// write probe proves the file writable, and any failure to open, read or write
// it stops the server with one line naming the path and the problem
// (StartupError), touching nothing: a file that is not ours is never deleted
// or rewritten.

import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import type { JWK } from 'jose'
import { StartupError } from '../../shared/run.js'
import { SIGNING_ALGORITHMS, type StoredSigningKeys } from '../tokens/keys.js'
import type {
  AuthStore,
  IssuedToken,
  OpaqueAccessToken,
  RefreshToken,
  RememberedGrant,
  RevokedByReplay,
  StoreLimits,
  StoreSnapshot,
} from './auth-store.js'
import { createMemoryStore, type Evicted } from './memory-store.js'

export type SqliteDatabase = BetterSqlite3.Database

/** Expired rows are deleted at most this often, on use (the working copy sweeps itself every second). */
const SWEEP_INTERVAL_MS = 10_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS grants (sub TEXT NOT NULL, client_id TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (sub, client_id));
CREATE TABLE IF NOT EXISTS families (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, sub TEXT NOT NULL, scopes TEXT NOT NULL, auth_time INTEGER NOT NULL, revoked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS family_access_tokens (family_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (family_id, jti));
CREATE TABLE IF NOT EXISTS refresh_tokens (hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, expires_at INTEGER NOT NULL, rotated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revoked_jtis (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS opaque_tokens (hash TEXT PRIMARY KEY, claims TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signing_keys (position INTEGER PRIMARY KEY, kid TEXT NOT NULL, alg TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, session TEXT NOT NULL, expires_at INTEGER NOT NULL, anonymous INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS registered_clients (client_id TEXT PRIMARY KEY, issued_at INTEGER NOT NULL, registration_token_hash TEXT NOT NULL, metadata TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at INTEGER NOT NULL);
`

/** After the tables (and the migration of a file from before `sessions.anonymous`). */
const INDEXES = `
CREATE INDEX IF NOT EXISTS sessions_by_kind ON sessions (anonymous);
`

/** Owner only: the file holds the private signing key, and its journal files copies of its pages. */
const FILE_MODE = 0o600
const DIR_MODE = 0o700
const JOURNAL_SUFFIXES = ['-wal', '-shm'] as const

/** The tables `clear()` empties: everything but signing keys and sessions. */
const CLEARED_TABLES = ['grants', 'families', 'family_access_tokens', 'refresh_tokens', 'revoked_jtis', 'opaque_tokens']

// One interface per table row, as SQLite hands it back (booleans as 0/1, lists and objects as JSON).

interface GrantRow {
  readonly sub: string
  readonly client_id: string
  readonly scopes: string
  readonly created_at: number
}

interface FamilyRow {
  readonly id: string
  readonly client_id: string
  readonly sub: string
  readonly scopes: string
  readonly auth_time: number
  readonly revoked: 0 | 1
  /** RFC 8707: a JSON list; NULL in a row written before resources were kept. */
  readonly resources: string | null
  readonly dpop_jkt: string | null
}

interface FamilyAccessTokenRow {
  readonly family_id: string
  readonly jti: string
  readonly expires_at: number
}

interface RefreshTokenRow {
  readonly hash: string
  readonly family_id: string
  readonly expires_at: number
  readonly rotated: 0 | 1
}

interface RevokedJtiRow {
  readonly jti: string
  readonly expires_at: number
}

interface OpaqueTokenRow {
  readonly hash: string
  readonly claims: string
  readonly expires_at: number
}

interface RegisteredClientRow {
  readonly client_id: string
  readonly issued_at: number
  readonly registration_token_hash: string
  readonly metadata: string
}

interface SigningKeyRow {
  readonly position: number
  readonly kid: string
  readonly alg: string
  readonly private_jwk: string
  readonly public_jwk: string
}

/** A problem at start, said in words: the message is the whole explanation. */
const problem = (text: string) => new Error(text)

const errorCode = (error: unknown) =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : ''

/** What went wrong, in one line, for an operator who knows nothing of SQLite's codes. */
export function describeStoreProblem(error: unknown): string {
  const code = errorCode(error)
  if (code === 'SQLITE_NOTADB') return 'the file is not a SQLite database'
  if (code.startsWith('SQLITE_CORRUPT')) return 'the database file is corrupt (database disk image is malformed)'
  if (code.startsWith('SQLITE_READONLY'))
    return 'the database is read-only (the file, its -wal/-shm files or its directory cannot be written)'
  if (code.startsWith('SQLITE_CANTOPEN'))
    return 'the database file cannot be opened (is its directory writable, are its -wal/-shm files?)'
  if (code === 'SQLITE_FULL') return 'the disk is full'
  if (code.startsWith('SQLITE_BUSY')) return 'the database is locked by another process'
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? message
}

/** The one line a role prints before it exits 1: `cannot use the store sqlite:<path>: <problem>`. */
export function cannotUseStore(path: string, error: unknown): StartupError {
  if (error instanceof StartupError) return error
  return new StartupError(`cannot use the store sqlite:${path}: ${describeStoreProblem(error)}`)
}

/** `0644` */
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`

/**
 * Before SQLite opens it: the directory made owner-only if the lab makes it,
 * and a new file created owner-only (empty: SQLite treats it as a new
 * database). An existing file is left as it is until it proves a database.
 */
function prepareFiles(path: string): void {
  const dir = dirname(path)
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true, mode: DIR_MODE })
    } catch (error) {
      throw problem(`cannot create its directory ${dir} (${errorCode(error) || String(error)})`)
    }
  }
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat?.isDirectory()) throw problem('the path is a directory, not a database file')
  if (stat === undefined) closeSync(openSync(path, 'wx', FILE_MODE))
}

/**
 * Once the file proves a SQLite database and before anything is written to
 * it: the file, or a journal file, that others may read made owner-only, with
 * one warning. The journal files SQLite makes later take the file's mode.
 */
function makeOwnerOnly(path: string, warn: (line: string) => void): void {
  const widened = [path, ...JOURNAL_SUFFIXES.map((suffix) => `${path}${suffix}`)].flatMap((file) => {
    const mode = statSync(file, { throwIfNoEntry: false })?.mode
    return mode !== undefined && (mode & 0o077) !== 0 ? [{ file, mode }] : []
  })
  for (const { file } of widened) chmodSync(file, FILE_MODE)
  if (widened.length > 0)
    warn(
      `the store sqlite:${path} holds the private signing key but others could read it (${widened.map((w) => `${w.file} ${octal(w.mode)}`).join(', ')}): made owner-only (0600)`,
    )
}

/** A file from before sessions were told anonymous or not: its sessions count as established. */
function migrate(db: SqliteDatabase): void {
  const columns = db.pragma('table_info(sessions)') as Array<{ readonly name: string }>
  if (!columns.some((c) => c.name === 'anonymous'))
    db.exec('ALTER TABLE sessions ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0')
  migrateFamilyResources(db)
}

/** The resources a family covers (RFC 8707), added as a column: NULL in a file written before. */
function migrateFamilyResources(db: SqliteDatabase): void {
  const columns = db.pragma('table_info(families)') as Array<{ readonly name: string }>
  if (!columns.some((c) => c.name === 'resources')) db.exec('ALTER TABLE families ADD COLUMN resources TEXT')
  // RFC 9449 §5: a family's DPoP binding; a file from before DPoP gets the column, its families unbound.
  if (!columns.some((c) => c.name === 'dpop_jkt')) db.exec('ALTER TABLE families ADD COLUMN dpop_jkt TEXT')
}

/**
 * A write in a transaction at start: a read-only file, journal or directory
 * stops the server now, not at the first sign-in (creating tables that exist
 * already writes nothing, so it proves nothing).
 */
function probeWrite(db: SqliteDatabase): void {
  const write = db.prepare<[number]>('INSERT OR REPLACE INTO probe (id, written_at) VALUES (1, ?)')
  db.transaction(() => write.run(Date.now()))()
}

/** What a role says, in one line, when STORE=sqlite cannot have its driver. */
export const BETTER_SQLITE3_MISSING =
  'STORE=sqlite needs the optional package better-sqlite3, which is not installed or not built for this machine: npm install better-sqlite3'

/**
 * better-sqlite3 is an optional dependency (a native addon: where no prebuilt
 * binary exists and no compiler is at hand, npm skips it and the lab still
 * installs). Its binding loads at the first `new Database`, so an in-memory
 * one proves it usable before any file is touched.
 */
function loadBetterSqlite3(): typeof BetterSqlite3 {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3
    new Database(':memory:').close()
    return Database
  } catch {
    throw new StartupError(BETTER_SQLITE3_MISSING)
  }
}

/**
 * Opens (creating if needed) the database file, checked writable; better-sqlite3
 * is required here, never at import. Throws a plain error; createSqliteStore
 * says it in one line.
 */
export function openDatabase(path: string, warn: (line: string) => void = warnOnStderr): SqliteDatabase {
  const Database = loadBetterSqlite3()
  prepareFiles(path)
  const db = new Database(path)
  try {
    // Reads the header: a file that is not a database fails here, untouched.
    db.pragma('schema_version')
    makeOwnerOnly(path, warn)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 5000')
    db.exec(SCHEMA)
    migrate(db)
    db.exec(INDEXES)
    probeWrite(db)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

function warnOnStderr(line: string): void {
  process.stderr.write(`oauth-lab auth-server: warning: ${line}\n`)
}

export interface SqliteStoreOptions {
  /** Default STORE_LIMITS (memory-store.ts), as the working copy's. */
  readonly limits?: StoreLimits
  /** One line for the operator (a file made owner-only); default: stderr. */
  readonly warn?: (line: string) => void
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

// JSON columns hold what this module wrote: lists of scope names, claims, JWKs.
const parseScopes = (text: string) => JSON.parse(text) as string[]
const parseClaims = (text: string) => JSON.parse(text) as Record<string, unknown>
const parseJwk = (text: string) => JSON.parse(text) as JWK

function prepareStatements(db: SqliteDatabase) {
  return {
    grants: db.prepare<[], GrantRow>('SELECT sub, client_id, scopes, created_at FROM grants'),
    families: db.prepare<[], FamilyRow>(
      'SELECT id, client_id, sub, scopes, auth_time, revoked, resources, dpop_jkt FROM families',
    ),
    familyAccessTokens: db.prepare<[], FamilyAccessTokenRow>(
      'SELECT family_id, jti, expires_at FROM family_access_tokens',
    ),
    liveRefreshTokens: db.prepare<[number], RefreshTokenRow>(
      'SELECT hash, family_id, expires_at, rotated FROM refresh_tokens WHERE expires_at > ?',
    ),
    liveRevokedJtis: db.prepare<[number], RevokedJtiRow>(
      'SELECT jti, expires_at FROM revoked_jtis WHERE expires_at > ?',
    ),
    liveOpaqueTokens: db.prepare<[number], OpaqueTokenRow>(
      'SELECT hash, claims, expires_at FROM opaque_tokens WHERE expires_at > ?',
    ),
    registeredClients: db.prepare<[], RegisteredClientRow>(
      'SELECT client_id, issued_at, registration_token_hash, metadata FROM registered_clients ORDER BY position',
    ),
    // Saved again, a client becomes the newest: its position is past every other's.
    upsertClient: db.prepare<[string, number, string, string]>(
      `INSERT OR REPLACE INTO registered_clients (client_id, issued_at, registration_token_hash, metadata, position)
         VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM registered_clients))`,
    ),
    deleteClient: db.prepare<[string]>('DELETE FROM registered_clients WHERE client_id = ?'),
    signingKeys: db.prepare<[], SigningKeyRow>(
      'SELECT position, kid, alg, private_jwk, public_jwk FROM signing_keys ORDER BY position',
    ),

    upsertGrant: db.prepare<[string, string, string, number]>(
      'INSERT OR REPLACE INTO grants (sub, client_id, scopes, created_at) VALUES (?, ?, ?, ?)',
    ),
    deleteGrant: db.prepare<[string, string]>('DELETE FROM grants WHERE sub = ? AND client_id = ?'),
    insertFamily: db.prepare<[string, string, string, string, number, string | null, string | null]>(
      'INSERT OR REPLACE INTO families (id, client_id, sub, scopes, auth_time, revoked, resources, dpop_jkt) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
    ),
    addAccess: db.prepare<[string, string, number]>(
      'INSERT OR REPLACE INTO family_access_tokens (family_id, jti, expires_at) VALUES (?, ?, ?)',
    ),
    revokeFamilyAccess: db.prepare<[string]>(
      'INSERT OR REPLACE INTO revoked_jtis (jti, expires_at) SELECT jti, expires_at FROM family_access_tokens WHERE family_id = ?',
    ),
    revokeFamily: db.prepare<[string]>('UPDATE families SET revoked = 1 WHERE id = ?'),
    liveFamiliesOf: db.prepare<[string, string], Pick<FamilyRow, 'id'>>(
      'SELECT id FROM families WHERE sub = ? AND client_id = ? AND revoked = 0',
    ),
    insertRefresh: db.prepare<[string, string, number]>(
      'INSERT OR REPLACE INTO refresh_tokens (hash, family_id, expires_at, rotated) VALUES (?, ?, ?, 0)',
    ),
    markRotated: db.prepare<[string]>('UPDATE refresh_tokens SET rotated = 1 WHERE hash = ?'),
    revoke: db.prepare<[string, number]>('INSERT OR REPLACE INTO revoked_jtis (jti, expires_at) VALUES (?, ?)'),
    insertOpaque: db.prepare<[string, string, number]>(
      'INSERT OR REPLACE INTO opaque_tokens (hash, claims, expires_at) VALUES (?, ?, ?)',
    ),
    deleteSigningKeys: db.prepare<[]>('DELETE FROM signing_keys'),
    insertSigningKey: db.prepare<[number, string, string, string, string]>(
      'INSERT INTO signing_keys (position, kid, alg, private_jwk, public_jwk) VALUES (?, ?, ?, ?, ?)',
    ),

    purgeRevoked: db.prepare<[number]>('DELETE FROM revoked_jtis WHERE expires_at <= ?'),
    purgeRefresh: db.prepare<[number]>('DELETE FROM refresh_tokens WHERE expires_at <= ?'),
    purgeOpaque: db.prepare<[number]>('DELETE FROM opaque_tokens WHERE expires_at <= ?'),
    // Sessions are purged by the session store, which counts them (sqlite-session-store.ts).
    // A family goes once it has no refresh token left and no live access token, as in memory.
    purgeFamilies: db.prepare<[number]>(
      `DELETE FROM families WHERE id NOT IN (SELECT family_id FROM refresh_tokens)
         AND id NOT IN (SELECT family_id FROM family_access_tokens WHERE expires_at > ?)`,
    ),
    purgeFamilyAccess: db.prepare<[]>(
      'DELETE FROM family_access_tokens WHERE family_id NOT IN (SELECT id FROM families)',
    ),
    // An expired access token needs no revoking: the working copy forgets it too.
    purgeExpiredFamilyAccess: db.prepare<[number]>('DELETE FROM family_access_tokens WHERE expires_at <= ?'),

    // What the working copy pushed out at a cap (memory-store.ts), deleted here too.
    deleteFamily: db.prepare<[string]>('DELETE FROM families WHERE id = ?'),
    deleteFamilyAccess: db.prepare<[string]>('DELETE FROM family_access_tokens WHERE family_id = ?'),
    deleteRefresh: db.prepare<[string]>('DELETE FROM refresh_tokens WHERE hash = ?'),
    deleteOpaque: db.prepare<[string]>('DELETE FROM opaque_tokens WHERE hash = ?'),
  }
}

type Statements = ReturnType<typeof prepareStatements>

/** What survived the last run, as the working copy's starting point; expired rows are left out. */
function loadSnapshot(st: Statements, t: number): StoreSnapshot {
  const access = new Map<string, IssuedToken[]>()
  for (const a of st.familyAccessTokens.all()) {
    const list = access.get(a.family_id) ?? []
    list.push({ jti: a.jti, expiresAt: a.expires_at })
    access.set(a.family_id, list)
  }
  return {
    clients: st.registeredClients.all().map((c) => ({
      clientId: c.client_id,
      issuedAt: c.issued_at,
      registrationTokenHash: c.registration_token_hash,
      metadata: parseClaims(c.metadata),
    })),
    grants: st.grants.all().map((g): RememberedGrant => ({
      sub: g.sub,
      clientId: g.client_id,
      scopes: parseScopes(g.scopes),
      createdAt: g.created_at,
    })),
    families: st.families.all().map((f) => ({
      id: f.id,
      clientId: f.client_id,
      sub: f.sub,
      scopes: parseScopes(f.scopes),
      authTime: f.auth_time,
      ...(f.resources === null ? {} : { resources: parseScopes(f.resources) }),
      ...(f.dpop_jkt === null ? {} : { dpopJkt: f.dpop_jkt }),
      revoked: f.revoked === 1,
      accessTokens: access.get(f.id) ?? [],
    })),
    refreshTokens: st.liveRefreshTokens.all(t).map((r): RefreshToken => ({
      hash: r.hash,
      familyId: r.family_id,
      expiresAt: r.expires_at,
      rotated: r.rotated === 1,
    })),
    revoked: st.liveRevokedJtis.all(t).map((r): IssuedToken => ({ jti: r.jti, expiresAt: r.expires_at })),
    opaqueTokens: st.liveOpaqueTokens
      .all(t)
      .map((o): OpaqueAccessToken => ({ hash: o.hash, claims: parseClaims(o.claims), expiresAt: o.expires_at })),
  }
}

/** A stored key pair, or undefined for a row of an algorithm this version does not know. */
function signingKeysOf(row: SigningKeyRow): StoredSigningKeys | undefined {
  const alg = SIGNING_ALGORITHMS.find((a) => a === row.alg)
  if (alg === undefined) return undefined
  return { kid: row.kid, alg, privateJwk: parseJwk(row.private_jwk), publicJwk: parseJwk(row.public_jwk) }
}

/** Deletes the row of what the working copy pushed out; codes have none. */
function deleteEvicted(st: Statements, evicted: Evicted): void {
  if (evicted.kind === 'grant') st.deleteGrant.run(evicted.sub, evicted.clientId)
  else if (evicted.kind === 'family') {
    st.deleteFamily.run(evicted.id)
    st.deleteFamilyAccess.run(evicted.id)
  } else if (evicted.kind === 'refreshToken') st.deleteRefresh.run(evicted.hash)
  else if (evicted.kind === 'opaqueToken') st.deleteOpaque.run(evicted.hash)
}

/** Opens the file and loads it; any failure is a StartupError naming the path and the problem. */
function openAndLoad(path: string, now: () => number, options: SqliteStoreOptions) {
  let db: SqliteDatabase | undefined
  try {
    db = openDatabase(path, options.warn)
    const st = prepareStatements(db)
    const opened = db
    const mem = createMemoryStore(now, loadSnapshot(st, now()), {
      ...(options.limits ? { limits: options.limits } : {}),
      onEvict: (evicted) => deleteEvicted(st, evicted),
    })
    return { db: opened, st, mem }
  } catch (error) {
    db?.close()
    throw cannotUseStore(path, error)
  }
}

export function createSqliteStore(path: string, now: () => number, options: SqliteStoreOptions = {}): SqliteAuthStore {
  const { db, st, mem } = openAndLoad(path, now, options)

  // RFC 9700 §4.14.2: a revoked family's refresh tokens stop working and its access tokens are revoked.
  const revokeFamilyRows = (id: string) => {
    st.revokeFamily.run(id)
    st.revokeFamilyAccess.run(id)
  }
  const persistFamilyRevoked = db.transaction(revokeFamilyRows)
  const persistFamiliesRevoked = db.transaction((ids: readonly string[]) => {
    for (const id of ids) revokeFamilyRows(id)
  })
  // RFC 6749 §4.1.2: what a replayed code had led to.
  const persistReplay = db.transaction((revoked: RevokedByReplay) => {
    for (const a of revoked.accessTokens) st.revoke.run(a.jti, a.expiresAt)
    if (revoked.familyId !== undefined) revokeFamilyRows(revoked.familyId)
  })
  const purge = db.transaction((t: number) => {
    for (const statement of [
      st.purgeRevoked,
      st.purgeRefresh,
      st.purgeOpaque,
      st.purgeFamilies,
      st.purgeExpiredFamilyAccess,
    ])
      statement.run(t)
    st.purgeFamilyAccess.run()
  })
  const clearTables = db.transaction(() => {
    for (const table of CLEARED_TABLES) db.exec(`DELETE FROM ${table}`)
  })
  const replaceSigningKeys = db.transaction((keys: readonly StoredSigningKeys[]) => {
    st.deleteSigningKeys.run()
    keys.forEach((k, i) =>
      st.insertSigningKey.run(i, k.kid, k.alg, JSON.stringify(k.privateJwk), JSON.stringify(k.publicJwk)),
    )
  })

  let lastSweep = now()
  function sweep(): void {
    const t = now()
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    purge(t)
  }

  return {
    db,

    // Codes: memory only; a replay's revocations are written through.
    saveCode(code) {
      sweep()
      mem.saveCode(code)
    },
    consumeCode(code, clientId) {
      sweep()
      const result = mem.consumeCode(code, clientId)
      if (!result.ok && result.reason === 'replayed') persistReplay(result.revoked)
      return result
    },
    recordIssued(code, issued) {
      mem.recordIssued(code, issued)
    },

    startFamily(family) {
      sweep()
      const started = mem.startFamily(family)
      const resources = family.resources === undefined ? null : JSON.stringify(family.resources)
      st.insertFamily.run(
        family.id,
        family.clientId,
        family.sub,
        JSON.stringify(family.scopes),
        family.authTime,
        resources,
        family.dpopJkt ?? null,
      )
      return started
    },
    findFamily(id) {
      return mem.findFamily(id)
    },
    recordAccessToken(familyId, token) {
      mem.recordAccessToken(familyId, token)
      if (mem.findFamily(familyId)) st.addAccess.run(familyId, token.jti, token.expiresAt)
    },
    saveRefreshToken(token) {
      mem.saveRefreshToken(token)
      st.insertRefresh.run(token.hash, token.familyId, token.expiresAt)
    },
    findRefreshToken(hash) {
      return mem.findRefreshToken(hash)
    },
    rotateRefreshToken(request) {
      const result = mem.rotateRefreshToken(request)
      if (result.ok) st.markRotated.run(request.hash)
      else if (result.reason === 'reused') persistFamilyRevoked(result.family.id)
      return result
    },
    revokeFamily(id) {
      const known = mem.revokeFamily(id)
      if (known) persistFamilyRevoked(id)
      return known
    },
    revokeFamiliesOf(sub, clientId) {
      // Read before the working copy marks them revoked; the same families in both.
      const ids = st.liveFamiliesOf.all(sub, clientId).map((r) => r.id)
      const count = mem.revokeFamiliesOf(sub, clientId)
      persistFamiliesRevoked(ids)
      return count
    },

    revokeToken(token) {
      sweep()
      mem.revokeToken(token)
      st.revoke.run(token.jti, token.expiresAt)
    },
    isRevoked(jti) {
      return mem.isRevoked(jti)
    },

    saveOpaqueToken(token) {
      sweep()
      mem.saveOpaqueToken(token)
      st.insertOpaque.run(token.hash, JSON.stringify(token.claims), token.expiresAt)
    },
    findOpaqueToken(hash) {
      return mem.findOpaqueToken(hash)
    },

    saveGrant(grant) {
      const merged = mem.saveGrant(grant)
      st.upsertGrant.run(merged.sub, merged.clientId, JSON.stringify(merged.scopes), merged.createdAt)
      return merged
    },
    findGrant(sub, clientId) {
      return mem.findGrant(sub, clientId)
    },
    listGrants(sub) {
      return mem.listGrants(sub)
    },
    forgetGrant(sub, clientId) {
      st.deleteGrant.run(sub, clientId)
      return mem.forgetGrant(sub, clientId)
    },

    // Device authorizations and pushed requests: memory only, like codes (device-store.ts says why).
    saveDeviceAuthorization(authorization) {
      sweep()
      return mem.saveDeviceAuthorization(authorization)
    },
    findPendingDevice(userCode) {
      return mem.findPendingDevice(userCode)
    },
    approveDevice(userCode, user) {
      return mem.approveDevice(userCode, user)
    },
    denyDevice(userCode) {
      return mem.denyDevice(userCode)
    },
    pollDevice(deviceCode, clientId) {
      return mem.pollDevice(deviceCode, clientId)
    },
    expireDevice(deviceCode) {
      return mem.expireDevice(deviceCode)
    },
    savePushedRequest(request) {
      sweep()
      mem.savePushedRequest(request)
    },
    usePushedRequest(requestUri, clientId) {
      return mem.usePushedRequest(requestUri, clientId)
    },
    deviceSize() {
      return mem.deviceSize()
    },
    saveClient(client) {
      mem.saveClient(client)
      st.upsertClient.run(
        client.clientId,
        client.issuedAt,
        client.registrationTokenHash,
        JSON.stringify(client.metadata),
      )
    },
    findClient(clientId) {
      return mem.findClient(clientId)
    },
    listClients() {
      return mem.listClients()
    },
    deleteClient(clientId) {
      st.deleteClient.run(clientId)
      return mem.deleteClient(clientId)
    },

    clear() {
      clearTables()
      mem.clear()
    },
    size() {
      return mem.size()
    },

    loadSigningKeys() {
      return st.signingKeys.all().flatMap((row) => signingKeysOf(row) ?? [])
    },
    saveSigningKeys(keys) {
      replaceSigningKeys(keys)
    },
    purgeExpired() {
      lastSweep = now()
      purge(lastSweep)
    },
    close() {
      if (db.open) db.close()
    },
  }
}
