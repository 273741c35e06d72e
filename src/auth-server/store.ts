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
  readonly expiresAt: number
  consumed: boolean
  /** Tokens issued from this code, revoked if the code is replayed (RFC 6749 §4.1.2). */
  readonly issuedTokenIds: Array<{ jti: string; expiresAt: number }>
}

export interface RememberedGrant {
  readonly sub: string
  readonly clientId: string
  readonly scopes: readonly string[]
  readonly createdAt: number
}

const SWEEP_INTERVAL_MS = 10_000

export function createMemoryStore(now: () => number) {
  const codes = new Map<string, AuthorizationCode>()
  const grants = new Map<string, RememberedGrant>()
  const revoked = new Map<string, number>()
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
    /** How many entries each map holds (for tests that check purging). */
    size(): { codes: number; grants: number; revoked: number } {
      return { codes: codes.size, grants: grants.size, revoked: revoked.size }
    },
  }
}

export type AuthStore = ReturnType<typeof createMemoryStore>
