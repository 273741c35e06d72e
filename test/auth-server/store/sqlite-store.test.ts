// STORE=sqlite:<path>: remembered decisions, sessions, refresh tokens and the
// signing key survive a restart; a crash mid-write loses nothing committed;
// expired rows are purged; a store that cannot be used stops the compiled
// role with one line and exit code 1.

import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type BetterSqlite3 from 'better-sqlite3'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { createSqliteStore } from '../../../src/auth-server/store/sqlite-store.js'
import { loadConfig, type LabConfig } from '../../../src/shared/config.js'
import { obtainCode, pkcePair, testClock } from '../../helpers/auth-server.js'
import { redeemCode, refresh, type TokenBody } from '../../helpers/back-channel.js'
import { injectBrowser } from '../../helpers/inject-browser.js'

const require = createRequire(import.meta.url)
const Database = require('better-sqlite3') as typeof BetterSqlite3

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SECRET = 'a-session-secret-of-at-least-32-characters'
const clock = testClock(Date.now())

function configFor(file: string): LabConfig {
  return loadConfig({ STORE: `sqlite:${file}`, LOG_LEVEL: 'silent', AUTH_SESSION_SECRET: SECRET })
}

async function start(file: string): Promise<{ app: FastifyInstance; config: LabConfig }> {
  const config = configFor(file)
  const app = await buildAuthServer(config, { now: clock.now, logger: false })
  return { app, config }
}

async function tokensWithRemember(app: FastifyInstance, config: LabConfig) {
  const { verifier, challenge } = pkcePair()
  const { params, browser } = await obtainCode(app, config, {
    query: { code_challenge: challenge, code_challenge_method: 'S256' },
  })
  const code = params.get('code')
  expect(code).toBeTruthy()
  const res = await redeemCode(app, config, code!, verifier)
  expect(res.statusCode).toBe(200)
  return { tokens: res.json<TokenBody>(), browser }
}

async function tokensWithScope(app: FastifyInstance, config: LabConfig, scope: string) {
  const { verifier, challenge } = pkcePair()
  const { params } = await obtainCode(app, config, {
    query: { scope, code_challenge: challenge, code_challenge_method: 'S256' },
  })
  const res = await redeemCode(app, config, params.get('code')!, verifier)
  expect(res.statusCode).toBe(200)
  return res.json<TokenBody & { id_token?: string }>()
}

describe('config STORE', () => {
  it('defaults to memory and parses sqlite:<path>', () => {
    expect(loadConfig({ LOG_LEVEL: 'silent' }).auth.store).toEqual({ kind: 'memory' })
    expect(loadConfig({ STORE: 'sqlite:./data/oauth-lab.db' }).auth.store).toEqual({
      kind: 'sqlite',
      path: './data/oauth-lab.db',
    })
  })
  it('refuses a bad value, naming STORE', () => {
    expect(() => loadConfig({ STORE: 'redis://x' })).toThrow(/STORE/)
    expect(() => loadConfig({ STORE: 'sqlite:' })).toThrow(/STORE/)
  })
})

describe('after a restart on the same file', () => {
  const file = join(dir, 'lab.db')

  it('keeps sessions, remembered decisions, refresh tokens (with rotation) and the signing key', async () => {
    const first = await start(file)
    const { tokens, browser } = await tokensWithRemember(first.app, first.config)
    const jwks1 = (await first.app.inject('/jwks')).json<{ keys: JWK[] }>()
    // A rotated refresh token, to check that the rotation persists.
    const rotated = await refresh(first.app, tokens.refresh_token!)
    expect(rotated.statusCode).toBe(200)
    const live = rotated.json<TokenBody>().refresh_token!
    await first.app.close()

    const second = await start(file)
    try {
      // (a) the same browser (its cookie): the session and the remembered decision skip login and consent.
      const sameBrowser = injectBrowser(second.app)
      for (const [k, v] of browser.cookies) sameBrowser.cookies.set(k, v)
      const again = await obtainCode(second.app, second.config, { browser: sameBrowser })
      expect(again.res.statusCode).toBe(302)
      expect(again.params.get('code')).toBeTruthy()
      const direct = await sameBrowser.get(
        `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'oauth-client-1', redirect_uri: `${second.config.client.publicUrl}/authenticated`, scope: 'foo bar', state: 's' })}`,
      )
      expect(direct.statusCode).toBe(302)
      expect(direct.headers.location).toContain('code=')

      // ... and a new browser signing in again: no consent page, straight to the code.
      const fresh = injectBrowser(second.app)
      let res = await fresh.get(
        `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'oauth-client-1', redirect_uri: `${second.config.client.publicUrl}/authenticated`, scope: 'foo bar', state: 's' })}`,
      )
      expect(res.body).toContain('name="password"')
      const signedIn = await obtainCode(second.app, second.config, { browser: fresh, remember: false })
      expect(signedIn.res.statusCode).toBe(302)
      expect(signedIn.params.get('code')).toBeTruthy()
      res = signedIn.res
      expect(res.body).not.toContain('name="decision"')

      // (b) the refresh token works; the one rotated before the restart is refused.
      const refreshed = await refresh(second.app, live)
      expect(refreshed.statusCode).toBe(200)
      const replay = await refresh(second.app, tokens.refresh_token!)
      expect(replay.statusCode).toBe(400)
      expect(replay.json()).toMatchObject({ error: 'invalid_grant' })

      // (c) the access token from before verifies against the new /jwks (same kid).
      const jwks2 = (await second.app.inject('/jwks')).json<{ keys: JWK[] }>()
      const kid = decodeProtectedHeader(tokens.access_token).kid
      expect(jwks2.keys.map((k) => k.kid)).toContain(kid)
      expect(jwks2.keys[0]?.kid).toBe(jwks1.keys[0]?.kid)
      // Every algorithm's key, the ID tokens' too, is the same one.
      expect(jwks1.keys.map((k) => k.alg)).toEqual(['ES256', 'RS256', 'EdDSA'])
      expect(jwks2.keys.map((k) => k.kid)).toEqual(jwks1.keys.map((k) => k.kid))
      const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks2), {
        issuer: second.config.auth.publicUrl,
        currentDate: new Date(clock.now()),
      })
      expect(payload.sub).toBe('alice')
    } finally {
      await second.app.close()
    }
  })
})

describe('signing keys after a restart', () => {
  const kidsOf = async (app: FastifyInstance) =>
    (await app.inject('/jwks')).json<{ keys: JWK[] }>().keys.map((k) => `${k.alg} ${k.kid}`)

  it('keeps every current and previous key of a rotation, and an ID token signed before still verifies', async () => {
    const file = join(dir, 'rotated-keys.db')
    const first = await start(file)
    await first.app.oauthLab.keys.rotate()
    const { tokens } = await tokensWithRemember(first.app, first.config)
    const openid = await tokensWithScope(first.app, first.config, 'openid foo')
    const kids = await kidsOf(first.app)
    expect(kids).toHaveLength(6)
    await first.app.close()

    const second = await start(file)
    let rotated: string[]
    try {
      expect(await kidsOf(second.app)).toEqual(kids)
      const jwks = createLocalJWKSet((await second.app.inject('/jwks')).json())
      const idToken = await jwtVerify(openid.id_token!, jwks, {
        algorithms: ['RS256'],
        currentDate: new Date(clock.now()),
      })
      expect(idToken.payload.aud).toBe('oauth-client-1')
      await jwtVerify(tokens.access_token, jwks, { algorithms: ['ES256'], currentDate: new Date(clock.now()) })
      // The next rotation is saved too: the current keys become the previous ones.
      await second.app.oauthLab.keys.rotate()
      rotated = await kidsOf(second.app)
      expect(rotated.slice(3, 6)).toEqual(kids.slice(0, 3))
      // The keys before those stay published while their tokens can be live, in this process only.
      expect(rotated.slice(6)).toEqual(kids.slice(3))
    } finally {
      await second.app.close()
    }
    const third = await start(file)
    try {
      expect(await kidsOf(third.app)).toEqual(rotated.slice(0, 6))
    } finally {
      await third.app.close()
    }
  })

  it('a rotation with publishFirst: the waiting keys are not saved, the promoted ones are', async () => {
    const file = join(dir, 'publish-first.db')
    const first = await start(file)
    const before = await kidsOf(first.app)
    const { next } = await first.app.oauthLab.keys.rotate({ publishFirst: true })
    expect(await kidsOf(first.app)).toHaveLength(6)
    await first.app.close()

    // The waiting keys signed nothing: after a restart they are simply gone.
    const second = await start(file)
    let promoted: string
    try {
      expect(await kidsOf(second.app)).toEqual(before)
      const waiting = await second.app.oauthLab.keys.rotate({ publishFirst: true })
      expect(waiting.next).not.toBe(next)
      promoted = (await second.app.oauthLab.keys.rotate({ promote: true })).kid
      expect(promoted).toBe(waiting.next)
    } finally {
      await second.app.close()
    }
    const third = await start(file)
    try {
      const kids = await kidsOf(third.app)
      expect(kids[0]).toBe(`ES256 ${promoted}`)
      expect(kids.slice(3)).toEqual(before)
    } finally {
      await third.app.close()
    }
  })

  it('a file from before (one algorithm only) keeps its keys and gains the others; SIGNING_ALG may change', async () => {
    const file = join(dir, 'one-algorithm.db')
    const first = await start(file)
    await first.app.oauthLab.keys.rotate()
    const kids = await kidsOf(first.app)
    await first.app.close()
    // Only the ES256 rows, current then previous, as the lab wrote them before ID tokens had keys of their own.
    const db = new Database(file)
    db.prepare("DELETE FROM signing_keys WHERE alg != 'ES256'").run()
    db.close()

    const second = await start(file)
    const kept = await kidsOf(second.app)
    await second.app.close()
    expect(kept).toHaveLength(4)
    expect([kept[0], kept[3]]).toEqual([kids[0], kids[3]])
    expect(kept.slice(1, 3).map((k) => k.split(' ')[0])).toEqual(['RS256', 'EdDSA'])

    // SIGNING_ALG=EdDSA now: the access tokens take the stored EdDSA key; no key is lost.
    const config = loadConfig({ STORE: `sqlite:${file}`, LOG_LEVEL: 'silent', SIGNING_ALG: 'EdDSA' })
    const third = await buildAuthServer(config, { now: clock.now, logger: false })
    try {
      expect(await kidsOf(third)).toEqual([kept[2], kept[1], kept[0], kept[3]])
    } finally {
      await third.close()
    }
  })
})

describe('crash safety', () => {
  it('a process killed mid-transaction loses nothing committed and leaves the file sound', async () => {
    const file = join(dir, 'crash.db')
    // The child is plain node: it uses the compiled store (dist/ is built by the global set-up).
    const out = resolve('dist/auth-server/store/sqlite-store.js')
    const childScript = `
      import { writeSync } from 'node:fs'
      const { createSqliteStore } = await import(${JSON.stringify(out)})
      const store = createSqliteStore(${JSON.stringify(file)}, Date.now)
      store.saveGrant({ sub: 'alice', clientId: 'oauth-client-1', scopes: ['foo'], createdAt: 1 })
      const db = store.db
      db.exec('BEGIN IMMEDIATE')
      const insert = db.prepare('INSERT INTO grants (sub, client_id, scopes, created_at) VALUES (?, ?, ?, ?)')
      for (let i = 0; i < 50_000_000; i++) {
        insert.run('bob' + i, 'c', '["x"]', i)
        if (i === 20000) writeSync(1, 'mid\\n')
      }
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript], {
      env: { ...process.env, NODE_PATH: resolve('node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exit = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)))
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('mid')) done()
      })
      child.on('exit', () => fail(new Error(`child exited early: ${stderr}`)))
    })
    child.kill('SIGKILL')
    expect(await exit).toBe('SIGKILL')

    const store = createSqliteStore(file, Date.now)
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(store.findGrant('alice', 'oauth-client-1')).toMatchObject({ scopes: ['foo'] })
      expect(store.listGrants('bob0')).toEqual([])
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM grants').get() as { n: number }).n).toBe(1)
    } finally {
      store.close()
    }
  }, 30_000)
})

describe('purging', () => {
  it('deletes expired refresh tokens from the table once the clock passes their expiry', async () => {
    const file = join(dir, 'purge.db')
    const { app, config } = await start(file)
    try {
      const { tokens } = await tokensWithRemember(app, config)
      const db = new Database(file, { readonly: true })
      const count = () => (db.prepare('SELECT COUNT(*) AS n FROM refresh_tokens').get() as { n: number }).n
      try {
        expect(count()).toBe(1)
        clock.advance(config.auth.refreshTokenTtlSeconds * 1000 + 20_000)
        // Any use of the store sweeps (at most every 10 s): a new authorization request saves a code.
        await obtainCode(app, config)
        expect(count()).toBe(0) // the new flow's code is not redeemed: no new refresh token
        const res = await refresh(app, tokens.refresh_token!)
        expect(res.statusCode).toBe(400)
      } finally {
        db.close()
      }
    } finally {
      await app.close()
    }
  })
})

describe('a store that cannot be used stops the role bundle: one line on stderr, exit code 1', () => {
  const bundle = resolve('dist/bundle/auth-server.js')
  // As root every file is writable: the read-only cases run the role as nobody (uid 65534), whose files they are.
  const asRoot = process.getuid?.() === 0
  const NOBODY = 65534
  const base = join(dir, 'start')
  mkdirSync(base, { mode: 0o755 })
  chmodSync(dir, 0o755)
  let cases = 0
  const caseDir = () => {
    const d = join(base, `case-${++cases}`)
    mkdirSync(d, { mode: 0o755 })
    return d
  }
  /** The file, or directory, belongs to the user the role runs as. */
  const own = (path: string) => {
    if (asRoot) chownSync(path, NOBODY, NOBODY)
  }

  function start(path: string, readOnly = false) {
    const result = spawnSync(process.execPath, [bundle], {
      env: { ...process.env, STORE: `sqlite:${path}`, AUTH_PORT: '0', LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 15_000,
      ...(readOnly && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    })
    return { status: result.status, stderr: result.stderr }
  }

  function expectOneLine(path: string, problem: string, readOnly = false) {
    const { status, stderr } = start(path, readOnly)
    expect(stderr).toBe(`oauth-lab auth-server: cannot use the store sqlite:${path}: ${problem}\n`)
    expect(status).toBe(1)
  }

  /** A sound database file, written by the store and closed. */
  function database(path: string) {
    createSqliteStore(path, Date.now).close()
  }

  it('a file that is not a SQLite database, left as it was', () => {
    const path = join(caseDir(), 'notes.txt')
    writeFileSync(path, 'not a database\n'.repeat(100))
    expectOneLine(path, 'the file is not a SQLite database')
    expect(readFileSync(path, 'utf8')).toBe('not a database\n'.repeat(100))
  })

  it('a corrupt database file', () => {
    const path = join(caseDir(), 'lab.db')
    database(path)
    const bytes = readFileSync(path)
    bytes.fill(0xa5, 100)
    writeFileSync(path, bytes)
    expectOneLine(path, 'the database file is corrupt (database disk image is malformed)')
  })

  it('a directory given as the path', () => {
    const path = caseDir()
    expectOneLine(path, 'the path is a directory, not a database file')
  })

  it('a missing parent directory that cannot be made', () => {
    const file = join(caseDir(), 'a-file')
    writeFileSync(file, 'x')
    const path = join(file, 'data', 'lab.db')
    expectOneLine(path, `cannot create its directory ${join(file, 'data')} (ENOTDIR)`)
  })

  it('a read-only file: refused at start by the write probe, not at the first sign-in', () => {
    const d = caseDir()
    own(d)
    const path = join(d, 'lab.db')
    database(path)
    own(path)
    chmodSync(path, 0o400)
    expectOneLine(
      path,
      'the database is read-only (the file, its -wal/-shm files or its directory cannot be written)',
      true,
    )
  })

  it('a read-only directory (no room for the -wal and -shm files)', () => {
    const d = caseDir()
    const path = join(d, 'lab.db')
    database(path)
    own(path)
    chmodSync(d, 0o555)
    const { status, stderr } = start(path, true)
    expect(stderr).toMatch(
      new RegExp(`^oauth-lab auth-server: cannot use the store sqlite:${path}: the database .+\\n$`),
    )
    expect(stderr.split('\n')).toHaveLength(2)
    expect(status).toBe(1)
  })
})
