// What the authorization server remembers: authorization codes, remembered
// consent decisions and revoked token ids. Plain data behind plain functions,
// in memory; expired entries are purged as the store is used.

export interface AuthorizationCode {
  readonly code: string
  readonly clientId: string
  readonly redirectUri: string
  /** RFC 6749 §4.1.3: redirect_uri is required at the token endpoint only if it was sent at step 1. */
  readonly redirectUriSent: boolean
  readonly scopes: readonly string[]
  readonly sub: string
  readonly authTime: number
  readonly codeChallenge?: string
  /** OpenID Connect nonce, copied into the ID token (OIDC Core §3.1.3.6). */
  readonly nonce?: string
  readonly expiresAt: number
  consumed: boolean
  /** Tokens issued from this code, revoked if the code is replayed (RFC 6749 §4.1.2). */
  readonly issuedTokenIds: Array<{ jti: string; expiresAt: number }>
  /** The refresh-token family started by this code, if any. */
  familyId?: string
}

/**
 * Every refresh token descended from one authorization, and the access tokens
 * issued alongside them: revoked together (RFC 9700 §4.14.2, RFC 7009 §2.1).
 */
export interface TokenFamily {
  readonly id: string
  readonly clientId: string
  readonly sub: string
  /** The scopes consented to; a refresh may narrow but never widen them (RFC 6749 §6). */
  readonly scopes: readonly string[]
  readonly authTime: number
  readonly accessTokenIds: Array<{ jti: string; expiresAt: number }>
  revoked: boolean
}

export interface RefreshToken {
  /** SHA-256 of the token: the store never holds the token itself. */
  readonly hash: string
  readonly familyId: string
  readonly expiresAt: number
  /** Set once the token has been exchanged; a second use is a replay. */
  rotated: boolean
}

/**
 * An opaque access token: what a JWT would carry (sub, client_id, scope, exp,
 * iat, jti, aud, …), kept here since the token itself says nothing.
 */
export interface OpaqueAccessToken {
  /** SHA-256 of the token, as for refresh tokens. */
  readonly hash: string
  readonly claims: Readonly<Record<string, unknown>>
  /** Milliseconds; purged after this. Revocation goes by `claims.jti`, as for JWTs. */
  readonly expiresAt: number
}

export interface RememberedGrant {
  readonly sub: string
  readonly clientId: string
  readonly scopes: readonly string[]
  readonly createdAt: number
}

// Every second at most, on use: what is kept then stays within a second of
// its lifetime, so memory under a steady load is flat rather than a sawtooth
// (bench: memory curve). A sweep scans the maps, well under a millisecond for
// thousands of entries.
export const SWEEP_INTERVAL_MS = 1000

export function createMemoryStore(now: () => number) {
  const codes = new Map<string, AuthorizationCode>()
  const families = new Map<string, TokenFamily>()
  const refreshTokens = new Map<string, RefreshToken>()
  const grants = new Map<string, RememberedGrant>()
  const revoked = new Map<string, number>()
  const opaqueTokens = new Map<string, OpaqueAccessToken>()
  let lastSweep = now()

  const grantKey = (sub: string, clientId: string) => `${sub}\u0000${clientId}`

  // A consumed code is kept until the tokens issued from it expire, so that a
  // replay can still be detected and answered by revoking them.
  function keepUntil(code: AuthorizationCode): number {
    return Math.max(code.expiresAt, ...code.issuedTokenIds.map((t) => t.expiresAt))
  }

  function sweep(): void {
    const t = now()
    if (t - lastSweep < SWEEP_INTERVAL_MS) return
    lastSweep = t
    for (const [key, code] of codes) if (keepUntil(code) <= t) codes.delete(key)
    for (const [jti, expiresAt] of revoked) if (expiresAt <= t) revoked.delete(jti)
    for (const [hash, token] of refreshTokens) if (token.expiresAt <= t) refreshTokens.delete(hash)
    for (const [hash, token] of opaqueTokens) if (token.expiresAt <= t) opaqueTokens.delete(hash)
    const live = new Set<string>()
    for (const token of refreshTokens.values()) live.add(token.familyId)
    for (const [id, family] of families) {
      const accessLive = family.accessTokenIds.some((a) => a.expiresAt > t)
      if (!live.has(id) && !accessLive) families.delete(id)
    }
  }

  function revokeFamily(family: TokenFamily): void {
    family.revoked = true
    for (const a of family.accessTokenIds) revoked.set(a.jti, a.expiresAt)
  }

  return {
    saveCode(code: AuthorizationCode): void {
      sweep()
      codes.set(code.code, code)
    },
    /** The code's record, even when consumed or expired: the caller decides. */
    findCode(code: string): AuthorizationCode | undefined {
      sweep()
      return codes.get(code)
    },
    rememberGrant(grant: RememberedGrant): void {
      const key = grantKey(grant.sub, grant.clientId)
      const previous = grants.get(key)
      const scopes = [...new Set([...(previous?.scopes ?? []), ...grant.scopes])]
      grants.set(key, { ...grant, scopes })
    },
    findGrant(sub: string, clientId: string): RememberedGrant | undefined {
      return grants.get(grantKey(sub, clientId))
    },
    listGrants(sub: string): RememberedGrant[] {
      return [...grants.values()].filter((g) => g.sub === sub)
    },
    forgetGrant(sub: string, clientId: string): boolean {
      return grants.delete(grantKey(sub, clientId))
    },
    revokeToken(jti: string, expiresAt: number): void {
      sweep()
      revoked.set(jti, expiresAt)
    },
    isRevoked(jti: string): boolean {
      return revoked.has(jti)
    },
    saveFamily(family: TokenFamily): void {
      sweep()
      families.set(family.id, family)
    },
    findFamily(id: string): TokenFamily | undefined {
      return families.get(id)
    },
    /** Revokes the family: its refresh tokens stop working and its access tokens are revoked. */
    revokeFamily(id: string): void {
      const family = families.get(id)
      if (family) revokeFamily(family)
    },
    /** Revokes every family of a user's grant to a client (the grant was withdrawn). */
    revokeFamiliesOf(sub: string, clientId: string): number {
      let count = 0
      for (const family of families.values()) {
        if (family.sub === sub && family.clientId === clientId && !family.revoked) {
          revokeFamily(family)
          count++
        }
      }
      return count
    },
    saveRefreshToken(token: RefreshToken): void {
      refreshTokens.set(token.hash, token)
    },
    findRefreshToken(hash: string): RefreshToken | undefined {
      return refreshTokens.get(hash)
    },
    /** The refresh token was exchanged: a second use is a replay (a durable store writes this through). */
    markRotated(hash: string): void {
      const token = refreshTokens.get(hash)
      if (token) token.rotated = true
    },
    /** Records an access token issued in a family, so revoking the family revokes it. */
    recordAccessToken(familyId: string, entry: { jti: string; expiresAt: number }): void {
      families.get(familyId)?.accessTokenIds.push(entry)
    },
    saveOpaqueToken(token: OpaqueAccessToken): void {
      sweep()
      opaqueTokens.set(token.hash, token)
    },
    findOpaqueToken(hash: string): OpaqueAccessToken | undefined {
      return opaqueTokens.get(hash)
    },
    /** Forgets everything (the test API's `lab.reset()`). */
    clear(): void {
      for (const map of [codes, grants, revoked, families, refreshTokens, opaqueTokens]) map.clear()
    },
    /** How many entries each map holds (for tests that check purging). */
    size(): { codes: number; grants: number; revoked: number; families: number; refreshTokens: number } {
      return {
        codes: codes.size,
        grants: grants.size,
        revoked: revoked.size,
        families: families.size,
        refreshTokens: refreshTokens.size,
      }
    },
  }
}

export type AuthStore = ReturnType<typeof createMemoryStore>
