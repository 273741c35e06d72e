// The store in memory: plain maps behind the AuthStore contract. Records are
// copied in and handed out as snapshots; what changes (a code consumed, a
// token rotated, a family revoked) lives in entries only this module sees.
// Expired entries are purged as the store is used, and each kind is capped
// (STORE_LIMITS; what goes at the cap, and what never does, is explained at
// the top of auth-store.ts).

import { scopeCovers } from '../../shared/scope.js'
import type {
  AuthorizationCode,
  AuthStore,
  ConsumeCodeResult,
  IssuedToken,
  NewTokenFamily,
  OpaqueAccessToken,
  RefreshToken,
  RememberedGrant,
  RotateResult,
  StoredClient,
  StoreLimits,
  StoreSnapshot,
  TokenFamily,
} from './auth-store.js'
import { StoreFullError } from './auth-store.js'
import { createDeviceMemory } from './memory-device-store.js'

// Every second at most, on use: what is kept then stays within a second of
// its lifetime, so memory under a steady load is flat rather than a sawtooth
// (bench: memory curve). A sweep scans the maps, well under a millisecond for
// thousands of entries.
export const SWEEP_INTERVAL_MS = 1000

/**
 * The caps of every auth store, memory or SQLite (its working copy is this
 * store). Far above what a workshop or the bench keeps alive at once (codes
 * live 60 s: at the bench's 1,000 flows a second, 60,000 are alive, and the
 * authorization_code figure mints 40,000 ahead), low enough that a flood costs
 * tens of MB, not the machine: an entry is a few hundred bytes.
 */
export const STORE_LIMITS: StoreLimits = {
  codes: 100_000,
  grants: 10_000,
  families: 100_000,
  familyAccessTokens: 100_000,
  refreshTokens: 100_000,
  opaqueTokens: 100_000,
  revoked: 100_000,
}

/** An entry pushed out at its kind's cap, for a durable store to delete its row too. */
export type Evicted =
  | { readonly kind: 'code'; readonly code: string }
  | { readonly kind: 'grant'; readonly sub: string; readonly clientId: string }
  | { readonly kind: 'family'; readonly id: string }
  | { readonly kind: 'refreshToken'; readonly hash: string }
  | { readonly kind: 'opaqueToken'; readonly hash: string }

export interface MemoryStoreOptions {
  /** Default STORE_LIMITS; tests pass small ones. */
  readonly limits?: StoreLimits
  readonly onEvict?: (evicted: Evicted) => void
}

interface CodeEntry {
  readonly code: AuthorizationCode
  consumed: boolean
  /** Access tokens issued from the code, revoked if it is replayed (RFC 6749 §4.1.2). */
  readonly issued: IssuedToken[]
  /** The refresh-token family started by the code, if any. */
  familyId?: string
}

interface FamilyEntry {
  readonly family: NewTokenFamily
  /** Pruned of expired ones as the store sweeps. */
  accessTokens: IssuedToken[]
  revoked: boolean
}

interface RefreshEntry {
  readonly hash: string
  readonly familyId: string
  readonly expiresAt: number
  rotated: boolean
}

const EMPTY: StoreSnapshot = { grants: [], families: [], refreshTokens: [], revoked: [], opaqueTokens: [] }

const familyOf = (entry: FamilyEntry): TokenFamily => ({ ...entry.family, revoked: entry.revoked })
const refreshTokenOf = (entry: RefreshEntry): RefreshToken => ({ ...entry })

/**
 * Makes room for one more entry in `map`: while it is at `cap`, the oldest
 * entry that `mayGo` allows is deleted (Map order is insertion order); if none
 * may go, StoreFullError and nothing changed. A scan at worst, only at the cap.
 */
function makeRoom<K, V>(
  map: Map<K, V>,
  cap: number,
  kind: keyof StoreLimits,
  mayGo: (value: V) => boolean,
  gone: (key: K, value: V) => void,
): void {
  while (map.size >= cap) {
    const oldest = oldestWhere(map, mayGo)
    if (oldest === undefined) throw new StoreFullError(kind)
    map.delete(oldest[0])
    gone(oldest[0], oldest[1])
  }
}

function oldestWhere<K, V>(map: Map<K, V>, test: (value: V) => boolean): [K, V] | undefined {
  for (const entry of map) if (test(entry[1])) return entry
  return undefined
}

/** The store in memory, starting empty or from what a durable store loaded back. */
export function createMemoryStore(
  now: () => number,
  initial: StoreSnapshot = EMPTY,
  options: MemoryStoreOptions = {},
): AuthStore {
  const limits = options.limits ?? STORE_LIMITS
  const onEvict = options.onEvict ?? (() => undefined)
  const codes = new Map<string, CodeEntry>()
  const families = new Map<string, FamilyEntry>()
  const refreshTokens = new Map<string, RefreshEntry>()
  const grants = new Map<string, RememberedGrant>()
  const revoked = new Map<string, number>()
  const opaqueTokens = new Map<string, OpaqueAccessToken>()
  /** Registered clients (RFC 7591), oldest first; the registry caps them. */
  const clients = new Map<string, StoredClient>()
  /** Access tokens recorded in all families together (capped as familyAccessTokens). */
  let familyAccessTokens = 0
  let lastSweep = now()
  // Device authorizations (RFC 8628) and pushed requests (RFC 9126): memory-device-store.ts.
  const device = createDeviceMemory(now, limits)

  const grantKey = (sub: string, clientId: string) => `${sub}\u0000${clientId}`

  for (const g of initial.grants) grants.set(grantKey(g.sub, g.clientId), { ...g })
  for (const { accessTokens, revoked: isRevoked, ...family } of initial.families)
    families.set(family.id, { family, accessTokens: [...accessTokens], revoked: isRevoked })
  for (const entry of families.values()) familyAccessTokens += entry.accessTokens.length
  for (const r of initial.refreshTokens) refreshTokens.set(r.hash, { ...r })
  for (const r of initial.revoked) revoked.set(r.jti, r.expiresAt)
  for (const o of initial.opaqueTokens) opaqueTokens.set(o.hash, o)
  for (const c of initial.clients ?? []) clients.set(c.clientId, c)

  // A consumed code is kept until the tokens issued from it expire, so that a
  // replay can still be detected and answered by revoking them.
  function keepUntil(entry: CodeEntry): number {
    return Math.max(entry.code.expiresAt, ...entry.issued.map((t) => t.expiresAt))
  }

  function sweep(): void {
    const t = now()
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    for (const [key, entry] of codes) if (keepUntil(entry) <= t) codes.delete(key)
    for (const [jti, expiresAt] of revoked) if (expiresAt <= t) revoked.delete(jti)
    for (const [hash, token] of refreshTokens) if (token.expiresAt <= t) refreshTokens.delete(hash)
    for (const [hash, token] of opaqueTokens) if (token.expiresAt <= t) opaqueTokens.delete(hash)
    device.sweep(t)
    // A family goes once it has no refresh token left and no live access token.
    const live = new Set<string>()
    for (const token of refreshTokens.values()) live.add(token.familyId)
    for (const [id, entry] of families) {
      // Counted first, copied only when one has expired: this runs every second over every family.
      let accessLive = 0
      for (const a of entry.accessTokens) if (a.expiresAt > t) accessLive++
      if (accessLive < entry.accessTokens.length) {
        familyAccessTokens -= entry.accessTokens.length - accessLive
        entry.accessTokens = entry.accessTokens.filter((a) => a.expiresAt > t)
      }
      if (!live.has(id) && accessLive === 0) families.delete(id)
    }
  }

  // At a cap the oldest entry of the kind goes (auth-store.ts says why that fails closed).
  const always = () => true

  function forgetFamily(id: string, entry: FamilyEntry): void {
    familyAccessTokens -= entry.accessTokens.length
    onEvict({ kind: 'family', id })
  }

  // RFC 9700 §4.14.2, RFC 7009 §2.1: the family's refresh tokens stop working
  // (they are checked against `revoked`) and its access tokens are revoked.
  function revokeEntry(entry: FamilyEntry): void {
    entry.revoked = true
    for (const a of entry.accessTokens) revoked.set(a.jti, a.expiresAt)
  }

  // RFC 6749 §4.1.2: a replayed code revokes everything issued from it.
  function revokeIssuedFrom(entry: CodeEntry): ConsumeCodeResult {
    for (const t of entry.issued) revoked.set(t.jti, t.expiresAt)
    const family = entry.familyId === undefined ? undefined : families.get(entry.familyId)
    if (family) revokeEntry(family)
    const accessTokens = [...entry.issued]
    return {
      ok: false,
      reason: 'replayed',
      revoked: entry.familyId === undefined ? { accessTokens } : { accessTokens, familyId: entry.familyId },
    }
  }

  return {
    saveCode(code) {
      sweep()
      makeRoom(codes, limits.codes, 'codes', always, (key) => onEvict({ kind: 'code', code: key }))
      codes.set(code.code, { code: { ...code }, consumed: false, issued: [] })
    },
    consumeCode(code, clientId) {
      sweep()
      const entry = codes.get(code)
      // RFC 6749 §4.1.3: the code must have been issued to this client.
      if (!entry || entry.code.clientId !== clientId) return { ok: false, reason: 'unknown' }
      if (entry.consumed) return revokeIssuedFrom(entry)
      entry.consumed = true
      if (entry.code.expiresAt <= now()) return { ok: false, reason: 'expired' }
      return { ok: true, code: entry.code }
    },
    recordIssued(code, { accessToken, familyId }) {
      const entry = codes.get(code)
      if (!entry) return
      entry.issued.push({ ...accessToken })
      if (familyId !== undefined) entry.familyId = familyId
    },

    startFamily(family) {
      sweep()
      makeRoom(families, limits.families, 'families', always, forgetFamily)
      const entry: FamilyEntry = { family: { ...family }, accessTokens: [], revoked: false }
      families.set(family.id, entry)
      return familyOf(entry)
    },
    findFamily(id) {
      const entry = families.get(id)
      return entry && familyOf(entry)
    },
    recordAccessToken(familyId, token) {
      const entry = families.get(familyId)
      if (!entry) return
      // At the cap the oldest other family goes, with the access tokens it recorded.
      while (familyAccessTokens >= limits.familyAccessTokens) {
        const oldest = oldestWhere(families, (other) => other !== entry)
        if (oldest === undefined) throw new StoreFullError('familyAccessTokens')
        families.delete(oldest[0])
        forgetFamily(oldest[0], oldest[1])
      }
      entry.accessTokens.push({ ...token })
      familyAccessTokens++
    },
    saveRefreshToken(token) {
      makeRoom(refreshTokens, limits.refreshTokens, 'refreshTokens', always, (hash) =>
        onEvict({ kind: 'refreshToken', hash }),
      )
      refreshTokens.set(token.hash, { ...token, rotated: false })
    },
    findRefreshToken(hash) {
      const token = refreshTokens.get(hash)
      const family = token && families.get(token.familyId)
      return token && family && { token: refreshTokenOf(token), family: familyOf(family) }
    },
    rotateRefreshToken({ hash, clientId, scopes }): RotateResult {
      const token = refreshTokens.get(hash)
      const entry = token && families.get(token.familyId)
      // RFC 6749 §6: the token must have been issued to the authenticated client.
      if (!token || !entry || entry.family.clientId !== clientId) return { ok: false, reason: 'unknown' }
      if (entry.revoked) return { ok: false, reason: 'revoked' }
      if (token.rotated) {
        // RFC 9700 §4.14.2: a rotated token used again revokes the whole family.
        revokeEntry(entry)
        return { ok: false, reason: 'reused', family: familyOf(entry) }
      }
      if (token.expiresAt <= now()) return { ok: false, reason: 'expired' }
      // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
      if (!scopeCovers(entry.family.scopes, scopes))
        return { ok: false, reason: 'scope_exceeded', family: familyOf(entry) }
      token.rotated = true
      return { ok: true, family: familyOf(entry) }
    },
    revokeFamily(id) {
      const entry = families.get(id)
      if (entry) revokeEntry(entry)
      return entry !== undefined
    },
    revokeFamiliesOf(sub, clientId) {
      let count = 0
      for (const entry of families.values()) {
        if (entry.family.sub === sub && entry.family.clientId === clientId && !entry.revoked) {
          revokeEntry(entry)
          count++
        }
      }
      return count
    },

    revokeToken({ jti, expiresAt }) {
      sweep()
      // Never forgotten before it expires, or the token would come back to life: refused when full (RFC 7009 §2.2.1).
      if (!revoked.has(jti) && revoked.size >= limits.revoked) throw new StoreFullError('revoked')
      revoked.set(jti, expiresAt)
    },
    isRevoked(jti) {
      return revoked.has(jti)
    },

    saveOpaqueToken(token) {
      sweep()
      makeRoom(opaqueTokens, limits.opaqueTokens, 'opaqueTokens', always, (hash) =>
        onEvict({ kind: 'opaqueToken', hash }),
      )
      opaqueTokens.set(token.hash, { ...token })
    },
    findOpaqueToken(hash) {
      return opaqueTokens.get(hash)
    },

    saveGrant(grant) {
      const key = grantKey(grant.sub, grant.clientId)
      const previous = grants.get(key)
      const merged = { ...grant, scopes: [...new Set([...(previous?.scopes ?? []), ...grant.scopes])] }
      // Saved again, it becomes the newest: the oldest decisions go first at the cap.
      grants.delete(key)
      makeRoom(grants, limits.grants, 'grants', always, (_key, g) =>
        onEvict({ kind: 'grant', sub: g.sub, clientId: g.clientId }),
      )
      grants.set(key, merged)
      return merged
    },
    findGrant(sub, clientId) {
      return grants.get(grantKey(sub, clientId))
    },
    listGrants(sub) {
      return [...grants.values()].filter((g) => g.sub === sub)
    },
    forgetGrant(sub, clientId) {
      return grants.delete(grantKey(sub, clientId))
    },

    saveDeviceAuthorization(authorization) {
      sweep()
      return device.methods.saveDeviceAuthorization(authorization)
    },
    savePushedRequest(request) {
      sweep()
      device.methods.savePushedRequest(request)
    },
    findPendingDevice(userCode) {
      return device.methods.findPendingDevice(userCode)
    },
    approveDevice(userCode, user) {
      return device.methods.approveDevice(userCode, user)
    },
    denyDevice(userCode) {
      return device.methods.denyDevice(userCode)
    },
    pollDevice(deviceCode, clientId) {
      return device.methods.pollDevice(deviceCode, clientId)
    },
    expireDevice(deviceCode) {
      return device.methods.expireDevice(deviceCode)
    },
    usePushedRequest(requestUri, clientId) {
      return device.methods.usePushedRequest(requestUri, clientId)
    },
    deviceSize() {
      return device.methods.deviceSize()
    },
    saveClient(client) {
      // Saved again, it becomes the newest.
      clients.delete(client.clientId)
      clients.set(client.clientId, { ...client })
    },
    findClient(clientId) {
      return clients.get(clientId)
    },
    listClients() {
      return [...clients.values()]
    },
    deleteClient(clientId) {
      return clients.delete(clientId)
    },

    clear() {
      for (const map of [codes, grants, revoked, families, refreshTokens, opaqueTokens]) map.clear()
      familyAccessTokens = 0
      device.clear()
    },
    size() {
      return {
        codes: codes.size,
        grants: grants.size,
        revoked: revoked.size,
        families: families.size,
        refreshTokens: refreshTokens.size,
        opaqueTokens: opaqueTokens.size,
      }
    },
  }
}
