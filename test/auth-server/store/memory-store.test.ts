import { describe, expect, it } from 'vitest'
import type { AuthorizationCode } from '../../../src/auth-server/store/auth-store.js'
import { createMemoryStore, SWEEP_INTERVAL_MS } from '../../../src/auth-server/store/memory-store.js'
import { createExpiringSessionStore, SESSION_SWEEP_INTERVAL_MS } from '../../../src/shared/session-store.js'
import type { Session } from 'fastify'
import { testClock } from '../../helpers/auth-server.js'

function code(id: string, expiresAt: number): AuthorizationCode {
  return {
    code: id,
    clientId: 'c',
    redirectUri: 'http://localhost:3000/cb',
    redirectUriSent: true,
    scopes: ['foo'],
    sub: 'alice',
    authTime: 0,
    expiresAt,
  }
}

describe('memory store purging (memory stays flat under load)', () => {
  it('forgets codes, refresh tokens, families and revocations once expired, within a sweep interval', () => {
    const clock = testClock(1_000_000)
    const store = createMemoryStore(clock.now)
    const t = clock.now()
    const accessToken = { jti: 'at-1', expiresAt: t + 120_000 }
    // A consumed code is kept while the token issued from it lives (RFC 6749 §4.1.2: a replay revokes it).
    store.saveCode(code('consumed', t + 60_000))
    expect(store.consumeCode('consumed', 'c').ok).toBe(true)
    store.saveCode(code('unused', t + 60_000))
    store.startFamily({ id: 'f1', clientId: 'c', sub: 'alice', scopes: ['foo'], authTime: 0 })
    store.recordAccessToken('f1', accessToken)
    store.recordIssued('consumed', { accessToken, familyId: 'f1' })
    store.saveRefreshToken({ hash: 'h1', familyId: 'f1', expiresAt: t + 180_000 })
    store.revokeToken({ jti: 'at-0', expiresAt: t + 30_000 })
    expect(store.size()).toMatchObject({ codes: 2, families: 1, refreshTokens: 1, revoked: 1 })

    clock.advance(61_000 + SWEEP_INTERVAL_MS)
    store.consumeCode('x', 'c') // any use sweeps
    expect(store.size()).toMatchObject({ codes: 1, families: 1, refreshTokens: 1, revoked: 0 })
    // The consumed code is still known: its replay is caught.
    expect(store.consumeCode('consumed', 'c')).toMatchObject({ ok: false, reason: 'replayed' })

    clock.advance(60_000)
    store.consumeCode('x', 'c')
    expect(store.size()).toMatchObject({ codes: 0, families: 1, refreshTokens: 1 })

    clock.advance(60_000)
    store.consumeCode('x', 'c')
    expect(store.size()).toMatchObject({ codes: 0, families: 0, refreshTokens: 0, revoked: 0 })
  })

  it('sweeps at most once per interval', () => {
    const clock = testClock(1_000_000)
    const store = createMemoryStore(clock.now)
    store.saveCode(code('a', clock.now() + 100))
    clock.advance(200)
    store.consumeCode('x', 'c')
    // Expired, but the last sweep was less than an interval ago.
    expect(store.size().codes).toBe(1)
    clock.advance(SWEEP_INTERVAL_MS)
    store.consumeCode('x', 'c')
    expect(store.size().codes).toBe(0)
  })
})

describe('expiring session store', () => {
  it('never returns an expired session and drops expired ones within a sweep interval', async () => {
    const clock = testClock(1_000_000)
    const sessions = createExpiringSessionStore(5000, () => true, clock.now)
    const get = (id: string) => new Promise<unknown>((resolve) => sessions.get(id, (_e, s) => resolve(s)))
    const set = (id: string) =>
      new Promise<void>((resolve) => sessions.set(id, { user: id } as unknown as Session, () => resolve()))
    for (let i = 0; i < 100; i++) await set(`s${i}`)
    expect(await get('s1')).toEqual({ user: 's1' })
    clock.advance(5000)
    expect(await get('s1')).toBeNull()
    clock.advance(SESSION_SWEEP_INTERVAL_MS)
    await set('fresh')
    expect(sessions.size()).toBe(1)
  })
})
