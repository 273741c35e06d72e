// The AuthStore contract, held against both implementations: the same cases
// for the memory store and the SQLite store (on a temp file). Then, for
// SQLite only, that every write survives a restart on the same file.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuthorizationCode, AuthStore, IssuedToken } from '../../../src/auth-server/store/auth-store.js'
import { createMemoryStore } from '../../../src/auth-server/store/memory-store.js'
import { createSqliteStore, type SqliteAuthStore } from '../../../src/auth-server/store/sqlite-store.js'
import { testClock, type TestClock } from '../../helpers/auth-server.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-store-contract-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const tempFile = () => join(dir, `store-${++files}.db`)

/** Longer than both stores' sweep intervals (1 s in memory, 10 s for the SQLite rows). */
const SWEEP = 10_000
const MINUTE = 60_000

interface Subject {
  readonly store: AuthStore
  close(): void
}

const implementations: Array<[string, (now: () => number) => Subject]> = [
  ['memory', (now) => ({ store: createMemoryStore(now), close: () => undefined })],
  [
    'sqlite',
    (now) => {
      const store = createSqliteStore(tempFile(), now)
      return { store, close: () => store.close() }
    },
  ],
]

function code(clock: TestClock, id: string, fields: Partial<AuthorizationCode> = {}): AuthorizationCode {
  return {
    code: id,
    clientId: 'client-a',
    redirectUri: 'http://localhost:3000/cb',
    redirectUriSent: true,
    scopes: ['foo', 'bar'],
    sub: 'alice',
    authTime: 1,
    codeChallenge: 'challenge',
    nonce: 'n-1',
    expiresAt: clock.now() + MINUTE,
    ...fields,
  }
}

const family = (id: string, fields: { sub?: string; clientId?: string } = {}) => ({
  id,
  clientId: fields.clientId ?? 'client-a',
  sub: fields.sub ?? 'alice',
  scopes: ['foo', 'bar'],
  authTime: 1,
})

const access = (clock: TestClock, jti: string, ttl = 5 * MINUTE): IssuedToken => ({
  jti,
  expiresAt: clock.now() + ttl,
})

describe.each(implementations)('AuthStore contract: %s', (_name, open) => {
  let clock: TestClock
  let subject: Subject
  let store: AuthStore
  beforeEach(() => {
    clock = testClock(1_000_000_000)
    subject = open(clock.now)
    store = subject.store
  })
  afterEach(() => subject.close())

  /** A family with an access token and a live refresh token, as a code redemption leaves it. */
  function issued(id: string, fields: { sub?: string; clientId?: string } = {}) {
    store.startFamily(family(id, fields))
    store.recordAccessToken(id, access(clock, `${id}-at`))
    store.saveRefreshToken({ hash: `${id}-rt`, familyId: id, expiresAt: clock.now() + 10 * MINUTE })
  }
  const rotate = (hash: string, clientId = 'client-a', scopes: string[] = []) =>
    store.rotateRefreshToken({ hash, clientId, scopes })

  describe('authorization codes (RFC 6749 §4.1.2)', () => {
    it('redeems a code once, with what was saved; a second redemption is a replay', () => {
      const saved = code(clock, 'c1')
      store.saveCode(saved)
      expect(store.consumeCode('c1', 'client-a')).toEqual({ ok: true, code: saved })
      expect(store.consumeCode('c1', 'client-a')).toEqual({
        ok: false,
        reason: 'replayed',
        revoked: { accessTokens: [] },
      })
    })

    it('a code it never saw is unknown', () => {
      expect(store.consumeCode('nope', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    })

    it('a code of another client is unknown and stays redeemable by its own (RFC 6749 §4.1.3)', () => {
      store.saveCode(code(clock, 'c1'))
      expect(store.consumeCode('c1', 'client-b')).toEqual({ ok: false, reason: 'unknown' })
      expect(store.consumeCode('c1', 'client-a').ok).toBe(true)
    })

    it('an expired code is refused and consumed: trying again is a replay', () => {
      store.saveCode(code(clock, 'c1', { expiresAt: clock.now() + 100 }))
      clock.advance(100)
      expect(store.consumeCode('c1', 'client-a')).toEqual({ ok: false, reason: 'expired' })
      expect(store.consumeCode('c1', 'client-a')).toMatchObject({ ok: false, reason: 'replayed' })
    })

    it('of racing redemptions that each consume before their first await, exactly one passes', async () => {
      store.saveCode(code(clock, 'c1'))
      const redeem = async () => {
        const result = store.consumeCode('c1', 'client-a')
        await Promise.resolve()
        return result.ok
      }
      const results = await Promise.all(Array.from({ length: 20 }, redeem))
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('a replay revokes the access token and the family recorded for the code (RFC 6749 §4.1.2, §10.5)', () => {
      store.saveCode(code(clock, 'c1'))
      expect(store.consumeCode('c1', 'client-a').ok).toBe(true)
      issued('f1')
      const first = access(clock, 'f1-at')
      store.recordIssued('c1', { accessToken: first, familyId: 'f1' })
      // A later refresh in the same family: its access token falls with the family.
      expect(rotate('f1-rt').ok).toBe(true)
      store.recordAccessToken('f1', access(clock, 'f1-at2'))
      store.saveRefreshToken({ hash: 'f1-rt2', familyId: 'f1', expiresAt: clock.now() + MINUTE })

      expect(store.consumeCode('c1', 'client-a')).toEqual({
        ok: false,
        reason: 'replayed',
        revoked: { accessTokens: [first], familyId: 'f1' },
      })
      expect(store.isRevoked('f1-at')).toBe(true)
      expect(store.isRevoked('f1-at2')).toBe(true)
      expect(store.findFamily('f1')?.revoked).toBe(true)
      expect(rotate('f1-rt2')).toEqual({ ok: false, reason: 'revoked' })
    })

    it('a consumed code is kept while the tokens issued from it live, so a late replay still revokes them', () => {
      store.saveCode(code(clock, 'c1'))
      store.consumeCode('c1', 'client-a')
      store.recordIssued('c1', { accessToken: access(clock, 'at-1', 5 * MINUTE) })
      clock.advance(2 * MINUTE) // the code has expired; its token has not
      expect(store.consumeCode('c1', 'client-a')).toMatchObject({ ok: false, reason: 'replayed' })
      expect(store.isRevoked('at-1')).toBe(true)
    })
  })

  describe('token families and refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2)', () => {
    it('starts a family, not revoked, and finds it and its refresh tokens', () => {
      expect(store.startFamily(family('f1'))).toEqual({ ...family('f1'), revoked: false })
      expect(store.findFamily('f1')).toEqual({ ...family('f1'), revoked: false })
      expect(store.findFamily('nope')).toBeUndefined()
      store.saveRefreshToken({ hash: 'rt', familyId: 'f1', expiresAt: clock.now() + MINUTE })
      expect(store.findRefreshToken('rt')).toEqual({
        token: { hash: 'rt', familyId: 'f1', expiresAt: clock.now() + MINUTE, rotated: false },
        family: { ...family('f1'), revoked: false },
      })
      expect(store.findRefreshToken('nope')).toBeUndefined()
    })

    it('rotates a refresh token once; reusing it revokes the family, access tokens included', () => {
      issued('f1')
      expect(rotate('f1-rt')).toEqual({ ok: true, family: { ...family('f1'), revoked: false } })
      expect(store.findRefreshToken('f1-rt')?.token.rotated).toBe(true)
      store.saveRefreshToken({ hash: 'f1-next', familyId: 'f1', expiresAt: clock.now() + MINUTE })

      expect(rotate('f1-rt')).toEqual({ ok: false, reason: 'reused', family: { ...family('f1'), revoked: true } })
      expect(store.isRevoked('f1-at')).toBe(true)
      expect(store.findFamily('f1')?.revoked).toBe(true)
      // The token that replaced it goes too.
      expect(rotate('f1-next')).toEqual({ ok: false, reason: 'revoked' })
    })

    it('of racing rotations of one token, exactly one passes', async () => {
      issued('f1')
      const use = async () => {
        const result = rotate('f1-rt')
        await Promise.resolve()
        return result.ok
      }
      const results = await Promise.all(Array.from({ length: 20 }, use))
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('a token it never saw, or of another client, is unknown and changes nothing', () => {
      issued('f1')
      expect(rotate('nope')).toEqual({ ok: false, reason: 'unknown' })
      expect(rotate('f1-rt', 'client-b')).toEqual({ ok: false, reason: 'unknown' })
      expect(store.findFamily('f1')?.revoked).toBe(false)
      expect(rotate('f1-rt').ok).toBe(true)
    })

    it('a rotated token presented by another client does not revoke the family', () => {
      issued('f1')
      rotate('f1-rt')
      expect(rotate('f1-rt', 'client-b')).toEqual({ ok: false, reason: 'unknown' })
      expect(store.findFamily('f1')?.revoked).toBe(false)
    })

    it('an expired token is refused and stays unrotated', () => {
      store.startFamily(family('f1'))
      store.saveRefreshToken({ hash: 'rt', familyId: 'f1', expiresAt: clock.now() + 100 })
      clock.advance(100)
      expect(rotate('rt')).toEqual({ ok: false, reason: 'expired' })
      expect(store.findRefreshToken('rt')?.token.rotated).toBe(false)
    })

    it('a narrower scope rotates; a wider one is refused and the token stays usable (RFC 6749 §6)', () => {
      issued('f1')
      expect(rotate('f1-rt', 'client-a', ['foo', 'baz'])).toEqual({
        ok: false,
        reason: 'scope_exceeded',
        family: { ...family('f1'), revoked: false },
      })
      expect(store.findRefreshToken('f1-rt')?.token.rotated).toBe(false)
      expect(rotate('f1-rt', 'client-a', ['foo'])).toMatchObject({ ok: true })
    })

    it('revokeFamily stops its refresh tokens and revokes its access tokens; an unknown one is false', () => {
      issued('f1')
      expect(store.revokeFamily('f1')).toBe(true)
      expect(store.isRevoked('f1-at')).toBe(true)
      expect(rotate('f1-rt')).toEqual({ ok: false, reason: 'revoked' })
      expect(store.revokeFamily('nope')).toBe(false)
    })

    it("revokeFamiliesOf revokes the live families of one user's grant to one client, and counts them", () => {
      issued('a1')
      issued('a2')
      issued('other-client', { clientId: 'client-b' })
      issued('other-user', { sub: 'bob' })
      expect(store.revokeFamiliesOf('alice', 'client-a')).toBe(2)
      expect(store.revokeFamiliesOf('alice', 'client-a')).toBe(0)
      expect([store.isRevoked('a1-at'), store.isRevoked('a2-at')]).toEqual([true, true])
      expect(rotate('other-client-rt', 'client-b').ok).toBe(true)
      expect(rotate('other-user-rt').ok).toBe(true)
      expect(store.isRevoked('other-user-at')).toBe(false)
    })

    it('hands out snapshots: a later change does not show through a record handed out before', () => {
      issued('f1')
      const before = store.findRefreshToken('f1-rt')
      store.revokeFamily('f1')
      expect(before?.family.revoked).toBe(false)
      expect(store.findRefreshToken('f1-rt')?.family.revoked).toBe(true)
    })
  })

  describe('revoked access tokens (RFC 7009) and opaque tokens', () => {
    it('knows a revoked jti until the token expires', () => {
      store.revokeToken(access(clock, 'at-1', 1000))
      expect(store.isRevoked('at-1')).toBe(true)
      expect(store.isRevoked('at-2')).toBe(false)
    })

    it('keeps an opaque token by its hash', () => {
      const token = { hash: 'h1', claims: { jti: 'j1', sub: 'alice', scope: 'foo' }, expiresAt: clock.now() + MINUTE }
      store.saveOpaqueToken(token)
      expect(store.findOpaqueToken('h1')).toEqual(token)
      expect(store.findOpaqueToken('h2')).toBeUndefined()
    })
  })

  describe('remembered decisions', () => {
    it('merges the scopes of a new decision into the remembered one, and answers the merged grant', () => {
      store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
      const merged = store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['bar', 'foo'], createdAt: 2 })
      expect(merged).toEqual({ sub: 'alice', clientId: 'client-a', scopes: ['foo', 'bar'], createdAt: 2 })
      expect(store.findGrant('alice', 'client-a')).toEqual(merged)
      expect(store.findGrant('alice', 'client-b')).toBeUndefined()
    })

    it("lists a user's decisions and forgets one", () => {
      store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
      store.saveGrant({ sub: 'alice', clientId: 'client-b', scopes: ['foo'], createdAt: 1 })
      store.saveGrant({ sub: 'bob', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
      expect(store.listGrants('alice').map((g) => g.clientId)).toEqual(['client-a', 'client-b'])
      expect(store.forgetGrant('alice', 'client-a')).toBe(true)
      expect(store.forgetGrant('alice', 'client-a')).toBe(false)
      expect(store.listGrants('alice').map((g) => g.clientId)).toEqual(['client-b'])
      expect(store.findGrant('bob', 'client-a')).toBeDefined()
    })
  })

  describe('expiry and purging, with a moved clock', () => {
    it('forgets each kind of entry once it has expired, as the store is used', () => {
      store.saveCode(code(clock, 'unused'))
      issued('f1') // access token 5 min, refresh token 10 min
      store.revokeToken(access(clock, 'at-r', 2 * MINUTE))
      store.saveOpaqueToken({ hash: 'h1', claims: { jti: 'o1' }, expiresAt: clock.now() + 3 * MINUTE })
      store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
      expect(store.size()).toEqual({
        codes: 1,
        grants: 1,
        revoked: 1,
        families: 1,
        refreshTokens: 1,
        opaqueTokens: 1,
      })

      const useAfter = (ms: number) => {
        clock.advance(ms)
        store.saveCode(code(clock, `probe-${clock.now()}`, { expiresAt: clock.now() })) // any use sweeps
      }
      useAfter(MINUTE + SWEEP)
      expect(store.size()).toMatchObject({ codes: 1, revoked: 1, opaqueTokens: 1 }) // only the probe is left
      useAfter(2 * MINUTE)
      expect(store.size()).toMatchObject({ revoked: 0, opaqueTokens: 0, families: 1, refreshTokens: 1 })
      expect(store.isRevoked('at-r')).toBe(false)
      expect(store.findOpaqueToken('h1')).toBeUndefined()
      useAfter(7 * MINUTE)
      // The family goes with its last refresh token, its access token being dead already.
      expect(store.size()).toEqual({
        codes: 1,
        grants: 1,
        revoked: 0,
        families: 0,
        refreshTokens: 0,
        opaqueTokens: 0,
      })
      expect(store.findRefreshToken('f1-rt')).toBeUndefined()
      // Remembered decisions do not expire.
      expect(store.findGrant('alice', 'client-a')).toBeDefined()
    })

    it('keeps a family while one of its access tokens lives, for its revocation', () => {
      store.startFamily(family('f1'))
      store.recordAccessToken('f1', access(clock, 'at', 5 * MINUTE))
      clock.advance(SWEEP)
      store.saveCode(code(clock, 'probe'))
      expect(store.size().families).toBe(1)
      expect(store.revokeFamily('f1')).toBe(true)
      expect(store.isRevoked('at')).toBe(true)
    })
  })

  it('clear forgets everything', () => {
    store.saveCode(code(clock, 'c1'))
    issued('f1')
    store.revokeToken(access(clock, 'at-1'))
    store.saveOpaqueToken({ hash: 'h1', claims: { jti: 'o1' }, expiresAt: clock.now() + MINUTE })
    store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
    store.clear()
    expect(store.size()).toEqual({ codes: 0, grants: 0, revoked: 0, families: 0, refreshTokens: 0, opaqueTokens: 0 })
    expect(store.consumeCode('c1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    expect(store.isRevoked('at-1')).toBe(false)
    expect(store.findGrant('alice', 'client-a')).toBeUndefined()
  })
})

describe('SQLite: every write survives a restart on the same file', () => {
  let clock: TestClock
  let file: string
  let store: SqliteAuthStore
  beforeEach(() => {
    clock = testClock(1_000_000_000)
    file = tempFile()
    store = createSqliteStore(file, clock.now)
  })
  afterEach(() => store.close())
  const restart = () => {
    store.close()
    store = createSqliteStore(file, clock.now)
  }
  const count = (table: string) => {
    const row = store.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()
    return row?.n
  }

  it('remembered decisions, merged and forgotten', () => {
    store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
    store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['bar'], createdAt: 2 })
    store.saveGrant({ sub: 'alice', clientId: 'client-b', scopes: ['foo'], createdAt: 1 })
    store.forgetGrant('alice', 'client-b')
    restart()
    expect(store.listGrants('alice')).toEqual([
      { sub: 'alice', clientId: 'client-a', scopes: ['foo', 'bar'], createdAt: 2 },
    ])
  })

  it('a rotation, and the revocation that a reuse causes', () => {
    store.startFamily(family('f1'))
    store.recordAccessToken('f1', access(clock, 'at-1'))
    store.saveRefreshToken({ hash: 'rt-1', familyId: 'f1', expiresAt: clock.now() + MINUTE })
    expect(store.rotateRefreshToken({ hash: 'rt-1', clientId: 'client-a', scopes: [] }).ok).toBe(true)
    store.saveRefreshToken({ hash: 'rt-2', familyId: 'f1', expiresAt: clock.now() + MINUTE })
    restart()
    expect(store.findRefreshToken('rt-1')?.token.rotated).toBe(true)
    expect(store.rotateRefreshToken({ hash: 'rt-1', clientId: 'client-a', scopes: [] })).toMatchObject({
      reason: 'reused',
    })
    restart()
    expect(store.findFamily('f1')?.revoked).toBe(true)
    expect(store.isRevoked('at-1')).toBe(true)
    expect(store.rotateRefreshToken({ hash: 'rt-2', clientId: 'client-a', scopes: [] })).toEqual({
      ok: false,
      reason: 'revoked',
    })
  })

  it('the revocations of a code replay, of revokeFamily, revokeFamiliesOf and revokeToken', () => {
    store.saveCode(code(clock, 'c1'))
    store.consumeCode('c1', 'client-a')
    for (const id of ['replayed', 'revoked', 'withdrawn']) {
      store.startFamily(family(id, { sub: id === 'withdrawn' ? 'bob' : 'alice' }))
      store.recordAccessToken(id, access(clock, `${id}-at`))
    }
    store.recordIssued('c1', { accessToken: access(clock, 'replayed-at'), familyId: 'replayed' })
    store.consumeCode('c1', 'client-a')
    store.revokeFamily('revoked')
    store.revokeFamiliesOf('bob', 'client-a')
    store.revokeToken(access(clock, 'loose-at'))
    restart()
    for (const id of ['replayed', 'revoked', 'withdrawn']) {
      expect(store.findFamily(id)?.revoked).toBe(true)
      expect(store.isRevoked(`${id}-at`)).toBe(true)
    }
    expect(store.isRevoked('loose-at')).toBe(true)
  })

  it('opaque tokens; but not codes, which live in memory only', () => {
    const token = { hash: 'h1', claims: { jti: 'o1', scope: 'foo' }, expiresAt: clock.now() + MINUTE }
    store.saveOpaqueToken(token)
    store.saveCode(code(clock, 'c1'))
    restart()
    expect(store.findOpaqueToken('h1')).toEqual(token)
    expect(store.consumeCode('c1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
  })

  it('clear empties the file, and purging deletes expired rows', () => {
    store.saveGrant({ sub: 'alice', clientId: 'client-a', scopes: ['foo'], createdAt: 1 })
    store.clear()
    restart()
    expect(store.size().grants).toBe(0)
    expect(count('grants')).toBe(0)

    store.startFamily(family('f1'))
    store.recordAccessToken('f1', access(clock, 'at-1', MINUTE))
    store.saveRefreshToken({ hash: 'rt-1', familyId: 'f1', expiresAt: clock.now() + MINUTE })
    store.revokeToken(access(clock, 'at-1', MINUTE))
    store.saveOpaqueToken({ hash: 'h1', claims: { jti: 'o1' }, expiresAt: clock.now() + MINUTE })
    expect([count('families'), count('refresh_tokens'), count('revoked_jtis'), count('opaque_tokens')]).toEqual([
      1, 1, 1, 1,
    ])
    clock.advance(MINUTE)
    store.purgeExpired()
    expect([count('families'), count('refresh_tokens'), count('revoked_jtis'), count('opaque_tokens')]).toEqual([
      0, 0, 0, 0,
    ])
    expect(count('family_access_tokens')).toBe(0)
  })
})
