// STORE=sqlite fails safely: its files are owner-only (they hold the private
// signing key), a store that cannot be used stops the start with one line
// naming the path and the problem, touching nothing, and a write that fails
// later is a clean error answer. Real files in a temp dir. (The same lines
// through the compiled role bundle, with exit code 1: sqlite-store.test.ts.)

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStore, type SqliteAuthStore } from '../../../src/auth-server/store/sqlite-store.js'
import { StartupError } from '../../../src/shared/run.js'
import { testAuthServer } from '../../helpers/auth-server.js'
import { postForm, tokensFor } from '../../helpers/back-channel.js'

const root = mkdtempSync(join(tmpdir(), 'oauth-lab-sqlite-safety-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const tempDir = () => {
  const dir = join(root, `case-${++dirs}`)
  mkdirSync(dir)
  return dir
}

const modeOf = (path: string) => statSync(path).mode & 0o777
const quiet = () => undefined

function openAndClose(path: string, warn: (line: string) => void = quiet): void {
  const store = createSqliteStore(path, Date.now, { warn })
  store.saveSigningKeys([])
  store.close()
}

/** What a failed start says: the StartupError's one line. */
function startProblem(path: string): string {
  try {
    createSqliteStore(path, Date.now, { warn: quiet }).close()
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError)
    const message = (error as Error).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error(`the store at ${path} opened`)
}

describe('file modes: the file holds the private signing key', () => {
  it('creates the file and its -wal and -shm files 0600, and the directory it makes 0700', () => {
    const dir = join(tempDir(), 'data', 'nested')
    const path = join(dir, 'lab.db')
    const store = createSqliteStore(path, Date.now, { warn: quiet })
    try {
      store.saveGrant({ sub: 'alice', clientId: 'c', scopes: ['foo'], createdAt: 1 })
      expect(modeOf(dir)).toBe(0o700)
      expect(modeOf(join(dir, '..'))).toBe(0o700)
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(modeOf(file)).toBe(0o600)
    } finally {
      store.close()
    }
  })

  it('makes an existing file that others could read owner-only, and says so in one warning line', () => {
    const path = join(tempDir(), 'lab.db')
    openAndClose(path)
    chmodSync(path, 0o644)
    const lines: string[] = []
    const store = createSqliteStore(path, Date.now, { warn: (line) => lines.push(line) })
    store.close()
    expect(modeOf(path)).toBe(0o600)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`sqlite:${path}`)
    expect(lines[0]).toContain('0644')
    expect(lines[0]).toContain('0600')
    // Already private: nothing to say the next time.
    lines.length = 0
    createSqliteStore(path, Date.now, { warn: (line) => lines.push(line) }).close()
    expect(lines).toEqual([])
  })
})

describe('a store that cannot be used: one line naming the path and the problem, nothing touched', () => {
  it('a file that is not a SQLite database', () => {
    const dir = tempDir()
    const path = join(dir, 'notes.txt')
    const text = 'these are my notes, not a database\n'.repeat(200)
    writeFileSync(path, text)
    chmodSync(path, 0o644)
    expect(startProblem(path)).toBe(`cannot use the store sqlite:${path}: the file is not a SQLite database`)
    // Not ours: not even its mode changes.
    expect(readFileSync(path, 'utf8')).toBe(text)
    expect(modeOf(path)).toBe(0o644)
    expect(readdirSync(dir)).toEqual(['notes.txt'])
  })

  it('a corrupt database file', () => {
    const dir = tempDir()
    const path = join(dir, 'lab.db')
    openAndClose(path)
    // The 100-byte header stays, the pages after it are garbage.
    const bytes = readFileSync(path)
    bytes.fill(0xa5, 100)
    writeFileSync(path, bytes)
    expect(startProblem(path)).toBe(
      `cannot use the store sqlite:${path}: the database file is corrupt (database disk image is malformed)`,
    )
    expect(readFileSync(path).equals(bytes)).toBe(true)
  })

  it('a directory given as the path', () => {
    const path = tempDir()
    expect(startProblem(path)).toBe(`cannot use the store sqlite:${path}: the path is a directory, not a database file`)
    expect(readdirSync(path)).toEqual([])
  })

  it('a missing parent directory that cannot be made', () => {
    const file = join(tempDir(), 'a-file')
    writeFileSync(file, 'x')
    const path = join(file, 'data', 'lab.db')
    expect(startProblem(path)).toBe(
      `cannot use the store sqlite:${path}: cannot create its directory ${join(file, 'data')} (ENOTDIR)`,
    )
    expect(readFileSync(file, 'utf8')).toBe('x')
  })
})

describe('a write that fails later', () => {
  it('answers a clean error page or JSON error, without a stack trace', async () => {
    const path = join(tempDir(), 'lab.db')
    const { app, config } = await testAuthServer({ STORE: `sqlite:${path}` })
    try {
      const tokens = await tokensFor(app, config)
      // As a full disk or a file made read-only would: every write from now on fails.
      ;(app.oauthLab.store as SqliteAuthStore).db.pragma('query_only = ON')

      // A page that saves a session (the login page's CSRF secret): a 503 naming no internals.
      const page = await app.inject(`/authorize?response_type=code&client_id=oauth-client-1&scope=foo&state=s`)
      expect(page.statusCode).toBe(503)
      expect(page.json()).toEqual({
        statusCode: 503,
        code: 'OAUTH_LAB_SESSION_NOT_SAVED',
        error: 'Service Unavailable',
        message: 'The session could not be saved: the store cannot be written.',
      })

      // A back-channel endpoint that writes: revoking a refresh token's family.
      const revoke = await postForm(
        app,
        '/revoke',
        { token: tokens.refresh_token! },
        {
          headers: { authorization: `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}` },
        },
      )
      expect(revoke.statusCode).toBe(500)
      expect(revoke.json()).toEqual({
        error: 'server_error',
        error_description: 'The server could not complete the request.',
      })
    } finally {
      await app.close()
    }
  })
})
