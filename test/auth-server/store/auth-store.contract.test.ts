// The AuthStore contract, held against both implementations: the same cases
// for the memory store and the SQLite store (on a temp file). Then, for
// SQLite only, that every write survives a restart on the same file.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  StoreFullError,
  type AuthorizationCode,
  type AuthStore,
  type IssuedToken,
  type NewDeviceAuthorization,
  type PushedRequest,
  type StoreLimits,
} from '../../../src/auth-server/store/auth-store.js'
import { createMemoryStore, STORE_LIMITS } from '../../../src/auth-server/store/memory-store.js'
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
  /** Rows of a table for SQLite (what was pushed out is deleted there too); undefined in memory. */
  rows(table: string): number | undefined
  close(): void
}

const implementations: Array<[string, (now: () => number, limits?: StoreLimits) => Subject]> = [
  [
    'memory',
    (now, limits) => ({
      store: createMemoryStore(now, undefined, limits ? { limits } : {}),
      rows: () => undefined,
      close: () => undefined,
    }),
  ],
  [
    'sqlite',
    (now, limits) => {
      const store = createSqliteStore(tempFile(), now, limits ? { limits } : {})
      return {
        store,
        rows: (table) => store.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n,
        close: () => store.close(),
      }
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

    it("keeps a family's DPoP binding (RFC 9449 §5) and hands it out with the family and its refresh tokens", () => {
      const bound = { ...family('f1'), dpopJkt: 'thumbprint-1' }
      expect(store.startFamily(bound)).toEqual({ ...bound, revoked: false })
      expect(store.findFamily('f1')).toEqual({ ...bound, revoked: false })
      store.saveRefreshToken({ hash: 'rt', familyId: 'f1', expiresAt: clock.now() + MINUTE })
      expect(store.findRefreshToken('rt')?.family.dpopJkt).toBe('thumbprint-1')
      expect(rotate('rt')).toEqual({ ok: true, family: { ...bound, revoked: false } })
      // An unbound family has no dpopJkt at all.
      store.startFamily(family('f2'))
      expect(store.findFamily('f2')).not.toHaveProperty('dpopJkt')
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

  describe('registered clients (RFC 7591)', () => {
    const registered = (clientId: string, name = clientId) => ({
      clientId,
      issuedAt: 1_000_000,
      registrationTokenHash: `hash-of-${clientId}`,
      metadata: { client_name: name, redirect_uris: ['http://127.0.0.1:7000/cb'], token_endpoint_auth_method: 'none' },
    })

    it('keeps, finds, lists oldest first and deletes a registered client', () => {
      store.saveClient(registered('dyn-a'))
      store.saveClient(registered('dyn-b'))
      expect(store.findClient('dyn-a')).toEqual(registered('dyn-a'))
      expect(store.findClient('dyn-c')).toBeUndefined()
      expect(store.listClients().map((c) => c.clientId)).toEqual(['dyn-a', 'dyn-b'])
      expect(store.deleteClient('dyn-a')).toBe(true)
      expect(store.deleteClient('dyn-a')).toBe(false)
      expect(store.listClients().map((c) => c.clientId)).toEqual(['dyn-b'])
    })

    it('saved again, a client is replaced and becomes the newest', () => {
      store.saveClient(registered('dyn-a'))
      store.saveClient(registered('dyn-b'))
      store.saveClient(registered('dyn-a', 'renamed'))
      expect(store.listClients().map((c) => c.clientId)).toEqual(['dyn-b', 'dyn-a'])
      expect(store.findClient('dyn-a')?.metadata.client_name).toBe('renamed')
    })

    it('clear() (lab.reset) leaves registrations in place, like the configured clients', () => {
      store.saveClient(registered('dyn-a'))
      store.clear()
      expect(store.findClient('dyn-a')).toEqual(registered('dyn-a'))
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

  describe('resources (RFC 8707)', () => {
    const resources = ['http://localhost:9002', 'http://localhost:9002/mcp']

    it('a code gives back the resources asked for with it', () => {
      const saved = code(clock, 'c-res', { resources })
      store.saveCode(saved)
      const consumed = store.consumeCode('c-res', 'client-a')
      expect(consumed).toEqual({ ok: true, code: saved })
      expect(consumed.ok && consumed.code.resources).toEqual(resources)
    })

    it('a family keeps the resources it covers, in every view of it; one started without has none', () => {
      const started = store.startFamily({ ...family('f-res'), resources })
      expect(started).toEqual({ ...family('f-res'), resources, revoked: false })
      store.saveRefreshToken({ hash: 'rt-res', familyId: 'f-res', expiresAt: clock.now() + MINUTE })
      expect(store.findFamily('f-res')?.resources).toEqual(resources)
      expect(store.findRefreshToken('rt-res')?.family.resources).toEqual(resources)
      expect(rotate('rt-res')).toEqual({ ok: true, family: { ...family('f-res'), resources, revoked: false } })
      expect(store.startFamily(family('f-none')).resources).toBeUndefined()
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

/** Small caps, so that both stores reach them in a few operations. */
const LIMITS: StoreLimits = {
  codes: 3,
  grants: 2,
  families: 2,
  familyAccessTokens: 3,
  refreshTokens: 3,
  opaqueTokens: 2,
  revoked: 2,
}

describe.each(implementations)('AuthStore caps: %s', (_name, open) => {
  let clock: TestClock
  let subject: Subject
  let store: AuthStore
  beforeEach(() => {
    clock = testClock(1_000_000_000)
    subject = open(clock.now, LIMITS)
    store = subject.store
  })
  afterEach(() => subject.close())

  /** The tokens issued from a code, as the token endpoint records them. */
  function redeem(id: string): void {
    expect(store.consumeCode(id, 'client-a').ok).toBe(true)
    store.recordIssued(id, { accessToken: access(clock, `${id}-at`) })
  }

  it('has caps, and the defaults are what the documentation says', () => {
    expect(STORE_LIMITS).toEqual({
      codes: 100_000,
      grants: 10_000,
      families: 100_000,
      familyAccessTokens: 100_000,
      refreshTokens: 100_000,
      opaqueTokens: 100_000,
      revoked: 100_000,
    })
  })

  it('codes: the oldest goes, redeemed or not; a forgotten code is refused as unknown, never accepted', () => {
    for (const id of ['c1', 'c2', 'c3']) store.saveCode(code(clock, id))
    redeem('c2')
    store.saveCode(code(clock, 'c4'))
    expect(store.size().codes).toBe(3)
    expect(store.consumeCode('c1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    // RFC 6749 §4.1.2: a redeemed code still held is known, and its replay revokes what it led to.
    expect(store.consumeCode('c2', 'client-a')).toMatchObject({ ok: false, reason: 'replayed' })
    expect(store.isRevoked('c2-at')).toBe(true)
    // Redeemed codes fill the cap: the lab goes on issuing codes, the oldest redeemed one is forgotten.
    redeem('c3')
    redeem('c4')
    store.saveCode(code(clock, 'c5'))
    expect(store.size().codes).toBe(3)
    expect(store.consumeCode('c2', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    expect(store.consumeCode('c3', 'client-a')).toMatchObject({ ok: false, reason: 'replayed' })
    expect(store.consumeCode('c5', 'client-a').ok).toBe(true)
  })

  it('grants: the least recently saved goes first', () => {
    const grant = (clientId: string) => ({ sub: 'alice', clientId, scopes: ['foo'], createdAt: 1 })
    store.saveGrant(grant('g1'))
    store.saveGrant(grant('g2'))
    store.saveGrant(grant('g1'))
    store.saveGrant(grant('g3'))
    expect(store.listGrants('alice').map((g) => g.clientId)).toEqual(['g1', 'g3'])
    expect(subject.rows('grants') ?? 2).toBe(2)
  })

  it('families: the oldest goes, and its refresh tokens become unknown (refused)', () => {
    store.startFamily(family('f1'))
    store.saveRefreshToken({ hash: 'f1-rt', familyId: 'f1', expiresAt: clock.now() + MINUTE })
    store.startFamily(family('f2'))
    store.revokeFamily('f2')
    store.startFamily(family('f3'))
    expect(store.findFamily('f1')).toBeUndefined()
    expect(store.findRefreshToken('f1-rt')).toBeUndefined()
    expect(store.rotateRefreshToken({ hash: 'f1-rt', clientId: 'client-a', scopes: [] })).toEqual({
      ok: false,
      reason: 'unknown',
    })
    expect(subject.rows('families') ?? 2).toBe(2)
    // A revoked family, while held, stays revoked.
    expect(store.findFamily('f2')?.revoked).toBe(true)
  })

  it('access tokens recorded in families: at the cap the oldest other family goes with its records', () => {
    store.startFamily(family('f1'))
    for (const jti of ['a1', 'a2']) store.recordAccessToken('f1', access(clock, jti, MINUTE))
    store.startFamily(family('f2'))
    store.recordAccessToken('f2', access(clock, 'a3', MINUTE))
    store.recordAccessToken('f2', access(clock, 'a4', MINUTE))
    expect(store.findFamily('f1')).toBeUndefined()
    expect(store.size().families).toBe(1)
    // The family that is still held revokes all it recorded.
    expect(store.revokeFamily('f2')).toBe(true)
    for (const jti of ['a3', 'a4']) expect(store.isRevoked(jti)).toBe(true)
    expect(store.isRevoked('a1')).toBe(false)
  })

  it('refresh tokens: the oldest goes; a forgotten one is refused as unknown, a held rotated one still catches reuse', () => {
    store.startFamily(family('f1'))
    for (const hash of ['r1', 'r2', 'r3'])
      store.saveRefreshToken({ hash, familyId: 'f1', expiresAt: clock.now() + MINUTE })
    expect(store.rotateRefreshToken({ hash: 'r2', clientId: 'client-a', scopes: [] }).ok).toBe(true)
    store.saveRefreshToken({ hash: 'r4', familyId: 'f1', expiresAt: clock.now() + MINUTE })
    expect(store.findRefreshToken('r1')).toBeUndefined()
    expect(store.rotateRefreshToken({ hash: 'r1', clientId: 'client-a', scopes: [] })).toEqual({
      ok: false,
      reason: 'unknown',
    })
    expect(subject.rows('refresh_tokens') ?? 3).toBe(3)
    // RFC 9700 §4.14.2: r2, rotated and still held, is caught when reused, and revokes the family.
    expect(store.rotateRefreshToken({ hash: 'r2', clientId: 'client-a', scopes: [] })).toMatchObject({
      ok: false,
      reason: 'reused',
    })
    expect(store.findFamily('f1')?.revoked).toBe(true)
  })

  it('opaque tokens: the oldest goes (introspection then calls it inactive)', () => {
    for (const hash of ['o1', 'o2', 'o3'])
      store.saveOpaqueToken({ hash, claims: { jti: hash }, expiresAt: clock.now() + MINUTE })
    expect(store.findOpaqueToken('o1')).toBeUndefined()
    expect(store.findOpaqueToken('o3')).toMatchObject({ hash: 'o3' })
    expect(subject.rows('opaque_tokens') ?? 2).toBe(2)
  })

  it('revoked jtis: never forgotten before they expire; one more revocation is refused when full, a cascade never', () => {
    store.revokeToken(access(clock, 'j1', MINUTE))
    store.revokeToken(access(clock, 'j2', MINUTE))
    expect(() => store.revokeToken(access(clock, 'j3', MINUTE))).toThrow(StoreFullError)
    store.revokeToken(access(clock, 'j1', MINUTE)) // already there: nothing new to keep
    expect([store.isRevoked('j1'), store.isRevoked('j2'), store.isRevoked('j3')]).toEqual([true, true, false])
    // Revoking a family is never refused: its access tokens are revoked beyond the cap.
    store.startFamily(family('f1'))
    store.recordAccessToken('f1', access(clock, 'f1-at'))
    expect(store.revokeFamily('f1')).toBe(true)
    expect(store.isRevoked('f1-at')).toBe(true)
    clock.advance(MINUTE + SWEEP)
    store.revokeToken(access(clock, 'j3', MINUTE))
    expect([store.isRevoked('j1'), store.isRevoked('j3'), store.isRevoked('f1-at')]).toEqual([false, true, true])
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

  it('registered clients, in their order, a deleted one gone', () => {
    const registered = (clientId: string) => ({
      clientId,
      issuedAt: 1_000_000,
      registrationTokenHash: `hash-of-${clientId}`,
      metadata: { client_name: clientId, client_secret: `secret-${clientId}`, scope: 'foo' },
    })
    for (const id of ['dyn-a', 'dyn-b', 'dyn-c']) store.saveClient(registered(id))
    store.deleteClient('dyn-b')
    store.saveClient(registered('dyn-a'))
    restart()
    expect(store.listClients()).toEqual([registered('dyn-c'), registered('dyn-a')])
    expect(count('registered_clients')).toBe(2)
  })

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

  it("a family's DPoP binding (RFC 9449 §5), and a file from before it gets the column", () => {
    store.startFamily({ ...family('f1'), dpopJkt: 'thumbprint-1' })
    store.saveRefreshToken({ hash: 'rt-1', familyId: 'f1', expiresAt: clock.now() + MINUTE })
    restart()
    expect(store.findFamily('f1')?.dpopJkt).toBe('thumbprint-1')
    store.db.exec('ALTER TABLE families DROP COLUMN dpop_jkt')
    restart()
    expect(store.findFamily('f1')).toEqual({ ...family('f1'), revoked: false })
    store.startFamily({ ...family('f2'), dpopJkt: 'thumbprint-2' })
    store.saveRefreshToken({ hash: 'rt-2', familyId: 'f2', expiresAt: clock.now() + MINUTE })
    restart()
    expect(store.findFamily('f2')?.dpopJkt).toBe('thumbprint-2')
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

  it('the resources a family covers (RFC 8707); a family of a file from before them has none', () => {
    const resources = ['http://localhost:9002/mcp']
    store.startFamily({ ...family('f1'), resources })
    store.startFamily(family('f2'))
    restart()
    expect(store.findFamily('f1')?.resources).toEqual(resources)
    expect(store.findFamily('f2')).toEqual({ ...family('f2'), revoked: false })
    // A file written before the column: it is added, and its families have no resources.
    store.db.exec('ALTER TABLE families DROP COLUMN resources')
    restart()
    expect(store.findFamily('f1')).toEqual({ ...family('f1'), revoked: false })
    store.startFamily({ ...family('f3'), resources })
    restart()
    expect(store.findFamily('f3')?.resources).toEqual(resources)
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

describe.each(implementations)('AuthStore contract, device authorizations and pushed requests: %s', (_name, open) => {
  let clock: TestClock
  let subject: Subject
  let store: AuthStore
  beforeEach(() => {
    clock = testClock(1_000_000_000)
    subject = open(clock.now)
    store = subject.store
  })
  afterEach(() => subject.close())

  const device = (deviceCode: string, userCode: string, fields: Partial<NewDeviceAuthorization> = {}) => ({
    deviceCode,
    userCode,
    clientId: 'client-a',
    scopes: ['foo'],
    expiresAt: clock.now() + 10 * MINUTE,
    intervalSeconds: 5,
    ...fields,
  })
  const alice = { sub: 'alice', authTime: 7 }
  const pushed = (requestUri: string, fields: Partial<PushedRequest> = {}): PushedRequest => ({
    requestUri,
    clientId: 'client-a',
    query: 'client_id=client-a&response_type=code',
    expiresAt: clock.now() + MINUTE,
    ...fields,
  })

  describe('device authorizations (RFC 8628)', () => {
    it('is pending until approved, then gives the approval once; a second poll is unknown', () => {
      expect(store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))).toBe(true)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'pending' })
      expect(store.findPendingDevice('BCDFGHJK')).toMatchObject({ clientId: 'client-a', status: 'pending' })
      expect(store.approveDevice('BCDFGHJK', alice)).toBe(true)
      // Decided: no longer pending, cannot be decided again.
      expect(store.findPendingDevice('BCDFGHJK')).toBeUndefined()
      expect(store.denyDevice('BCDFGHJK')).toBe(false)
      clock.advance(5_000)
      const poll = store.pollDevice('d1', 'client-a')
      expect(poll).toMatchObject({ ok: true, user: alice, authorization: { scopes: ['foo'], status: 'approved' } })
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    })

    it('answers denied after a denial, and unknown to another client, changing nothing for it', () => {
      store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))
      expect(store.pollDevice('d1', 'client-b')).toEqual({ ok: false, reason: 'unknown' })
      expect(store.denyDevice('BCDFGHJK')).toBe(true)
      expect(store.approveDevice('BCDFGHJK', alice)).toBe(false)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'denied' })
    })

    it('slows a device polling sooner than the interval down, 5 s more each time (RFC 8628 §3.5)', () => {
      store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))
      expect(store.pollDevice('d1', 'client-a').ok).toBe(false)
      clock.advance(4_000)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'slow_down', intervalSeconds: 10 })
      clock.advance(9_000)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'slow_down', intervalSeconds: 15 })
      clock.advance(15_000)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'pending' })
    })

    it('answers expired after its lifetime, can no longer be approved, and is swept later', () => {
      store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))
      clock.advance(10 * MINUTE)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'expired' })
      expect(store.approveDevice('BCDFGHJK', alice)).toBe(false)
      expect(store.findPendingDevice('BCDFGHJK')).toBeUndefined()
      clock.advance(10 * MINUTE + SWEEP)
      store.saveDeviceAuthorization(device('d2', 'CDFGHJKL'))
      expect(store.deviceSize().deviceAuthorizations).toBe(1)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    })

    it('expires a device code at once when the lab asks: expired, no longer found by its user code', () => {
      store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))
      expect(store.expireDevice('d1')).toBe(true)
      expect(store.expireDevice('no-such-code')).toBe(false)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'expired' })
      expect(store.findPendingDevice('BCDFGHJK')).toBeUndefined()
      expect(store.approveDevice('BCDFGHJK', alice)).toBe(false)
    })

    it('refuses a user code already taken by a live pending authorization', () => {
      expect(store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))).toBe(true)
      expect(store.saveDeviceAuthorization(device('d2', 'BCDFGHJK'))).toBe(false)
      expect(store.pollDevice('d2', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    })

    it("issues an expired one's user code again, while its device still hears expired", () => {
      store.saveDeviceAuthorization(device('d1', 'BCDFGHJK'))
      clock.advance(10 * MINUTE)
      expect(store.saveDeviceAuthorization(device('d2', 'BCDFGHJK'))).toBe(true)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'expired' })
      expect(store.approveDevice('BCDFGHJK', alice)).toBe(true)
      clock.advance(5_000)
      expect(store.pollDevice('d2', 'client-a').ok).toBe(true)
      expect(store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'expired' })
    })

    it('keeps at most its cap: at the cap the oldest goes', () => {
      const capped = open(clock.now, { ...LIMITS, deviceAuthorizations: 2 })
      try {
        for (const [d, u] of [
          ['d1', 'BBBBBBBB'],
          ['d2', 'CCCCCCCC'],
          ['d3', 'DDDDDDDD'],
        ] as const)
          capped.store.saveDeviceAuthorization(device(d, u))
        expect(capped.store.deviceSize().deviceAuthorizations).toBe(2)
        expect(capped.store.findPendingDevice('BBBBBBBB')).toBeUndefined()
        expect(capped.store.pollDevice('d1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
        expect(capped.store.findPendingDevice('DDDDDDDD')).toBeDefined()
      } finally {
        capped.close()
      }
    })
  })

  describe('pushed authorization requests (RFC 9126)', () => {
    it('is used once, by the client that pushed it; another client changes nothing', () => {
      store.savePushedRequest(pushed('urn:1'))
      expect(store.usePushedRequest('urn:1', 'client-b')).toEqual({ ok: false, reason: 'other_client' })
      expect(store.usePushedRequest('urn:1', 'client-a')).toEqual({ ok: true, request: pushed('urn:1') })
      expect(store.usePushedRequest('urn:1', 'client-a')).toEqual({ ok: false, reason: 'used' })
      expect(store.usePushedRequest('urn:nope', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
    })

    it('is expired after its lifetime, and swept', () => {
      store.savePushedRequest(pushed('urn:1'))
      clock.advance(MINUTE)
      expect(store.usePushedRequest('urn:1', 'client-a')).toEqual({ ok: false, reason: 'expired' })
      clock.advance(SWEEP)
      store.savePushedRequest(pushed('urn:2'))
      expect(store.deviceSize().pushedRequests).toBe(1)
    })

    it('keeps at most its cap, and clear() forgets both kinds', () => {
      const capped = open(clock.now, { ...LIMITS, pushedRequests: 2 })
      try {
        for (const uri of ['urn:1', 'urn:2', 'urn:3']) capped.store.savePushedRequest(pushed(uri))
        expect(capped.store.deviceSize().pushedRequests).toBe(2)
        expect(capped.store.usePushedRequest('urn:1', 'client-a')).toEqual({ ok: false, reason: 'unknown' })
        capped.store.saveDeviceAuthorization(device('d1', 'BBBBBBBB'))
        capped.store.clear()
        expect(capped.store.deviceSize()).toEqual({ deviceAuthorizations: 0, pushedRequests: 0 })
      } finally {
        capped.close()
      }
    })
  })
})
