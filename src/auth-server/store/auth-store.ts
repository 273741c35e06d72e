// The authorization server's store, as a written contract: what it keeps
// (codes, token families, refresh tokens, remembered decisions, revoked token
// ids, opaque tokens) and the atomic operations on it. Records go in and come
// out as readonly data: a caller never changes a record, it asks the store to.
// Every operation is synchronous, so a check and the change it leads to happen
// with no `await` between them: two racing requests cannot both pass a check
// (one-time codes, refresh-token rotation). Implemented by `createMemoryStore`
// and `createSqliteStore`; test/auth-server/store/auth-store.contract.test.ts
// holds both to it.
//
// Bounded (`StoreLimits`; the figures are STORE_LIMITS in memory-store.ts):
// besides forgetting what has expired, the store keeps at most so many
// entries of each kind, whatever the traffic. When a kind is at its cap, a new
// entry pushes out the oldest one. That always fails closed: what is forgotten
// becomes unknown, and the unknown is refused. What is lost is only a cascade
// for the oldest entries: a replay of a forgotten code, or the reuse of a
// forgotten rotated refresh token, is refused as unknown (invalid_grant)
// without revoking what it led to (RFC 6749 §4.1.2, RFC 9700 §4.14.2). The
// caps are far above what a lab keeps alive, so this touches only entries
// older than any test or workshop looks at; a lab that stopped issuing codes
// after its 100,000th flow of the hour would be worse.
//
// - codes, grants, families, refresh tokens, opaque tokens: the oldest goes
//   (a forgotten grant asks for consent again; a forgotten family's refresh
//   tokens are unknown; a forgotten opaque token is inactive).
// - access tokens recorded in families: at the cap the oldest other family
//   goes with its records.
// - revoked jtis: never forgotten before they expire, or a revoked token would
//   come back to life. Revoking one more token when full is refused with a
//   StoreFullError (503 over HTTP; RFC 7009 §2.2.1: the client must then assume
//   the token is still valid); revoking a family or a replayed code's tokens
//   is never refused, and is bounded by the families' access tokens above.

import type {
  DeviceApproval,
  DeviceAuthorization,
  DevicePollResult,
  DeviceStoreSize,
  NewDeviceAuthorization,
  PushedRequest,
  UsePushedResult,
} from './device-store.js'

export type * from './device-store.js'

/** An access token the store must be able to revoke: its `jti`, kept until it expires. */
export interface IssuedToken {
  readonly jti: string
  /** Milliseconds; after this the token is dead anyway, and the store forgets it. */
  readonly expiresAt: number
}

/** What an authorization code was issued for (RFC 6749 §4.1.2), as saved at step 4. */
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
  /** RFC 8707 §2.1: the resource servers asked for at step 1; absent or empty: none named. */
  readonly resources?: readonly string[]
  /** RFC 9449 §10: the code may be redeemed only with a DPoP proof of the key with this thumbprint. */
  readonly dpopJkt?: string
  readonly expiresAt: number
}

/** What a replayed code had led to, now revoked (RFC 6749 §4.1.2, §10.5). */
export interface RevokedByReplay {
  readonly accessTokens: readonly IssuedToken[]
  readonly familyId?: string
}

export type ConsumeCodeResult =
  | { readonly ok: true; readonly code: AuthorizationCode }
  /** No such code, or it was issued to another client (RFC 6749 §4.1.3); nothing changed. */
  | { readonly ok: false; readonly reason: 'unknown' }
  /** Past its lifetime; consumed all the same, so it is never good again. */
  | { readonly ok: false; readonly reason: 'expired' }
  /** Used before: everything issued from it is now revoked (RFC 6749 §4.1.2). */
  | { readonly ok: false; readonly reason: 'replayed'; readonly revoked: RevokedByReplay }

/** What starts a token family: one authorization, with the scopes consented to. */
export interface NewTokenFamily {
  readonly id: string
  readonly clientId: string
  readonly sub: string
  /** The scopes consented to; a refresh may narrow but never widen them (RFC 6749 §6). */
  readonly scopes: readonly string[]
  readonly authTime: number
  /**
   * RFC 8707 §2.2: the resource servers the authorization covers; each refresh
   * may pick one. Absent (a family stored before resources were kept): the built-in one.
   */
  readonly resources?: readonly string[]
  /** RFC 9449 §5: the thumbprint of the DPoP key its refresh tokens are bound to (public clients); absent: unbound. */
  readonly dpopJkt?: string
}

/**
 * Every refresh token descended from one authorization, and the access tokens
 * issued alongside them: revoked together (RFC 9700 §4.14.2, RFC 7009 §2.1).
 * A snapshot: `revoked` is as it was when the store handed it out.
 */
export interface TokenFamily extends NewTokenFamily {
  readonly revoked: boolean
}

/** A refresh token as saved: never the token itself, only its SHA-256. */
export interface NewRefreshToken {
  readonly hash: string
  readonly familyId: string
  readonly expiresAt: number
}

export interface RefreshToken extends NewRefreshToken {
  /** Exchanged already: a second use is a replay (RFC 9700 §4.14.2). */
  readonly rotated: boolean
}

/** A refresh token with its family, as /introspect and /revoke need them. */
export interface RefreshTokenView {
  readonly token: RefreshToken
  readonly family: TokenFamily
}

/** Who asks to rotate a refresh token, and for which scopes (none: the family's). */
export interface RotationRequest {
  readonly hash: string
  readonly clientId: string
  readonly scopes: readonly string[]
}

export type RotateResult =
  /** The token is now rotated; the caller issues the next one in `family`. */
  | { readonly ok: true; readonly family: TokenFamily }
  /** No such token, its family is gone, or it belongs to another client (RFC 6749 §6); nothing changed. */
  | { readonly ok: false; readonly reason: 'unknown' }
  /** Its family was revoked; nothing changed. */
  | { readonly ok: false; readonly reason: 'revoked' }
  /** Rotated before: a replay, so the whole family is now revoked (RFC 9700 §4.14.2). */
  | { readonly ok: false; readonly reason: 'reused'; readonly family: TokenFamily }
  | { readonly ok: false; readonly reason: 'expired' }
  /** Wider than the family's scopes (RFC 6749 §6); nothing changed, the token stays usable. */
  | { readonly ok: false; readonly reason: 'scope_exceeded'; readonly family: TokenFamily }

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

/** A user's remembered consent to a client (the stored decision of step 2 of the seven steps). */
export interface RememberedGrant {
  readonly sub: string
  readonly clientId: string
  readonly scopes: readonly string[]
  readonly createdAt: number
}

/** The most entries of each kind a store keeps (see the top of this file for what happens at the cap). */
export interface StoreLimits {
  readonly codes: number
  readonly grants: number
  readonly families: number
  /** Access tokens recorded in all families together, for their revocation with the family. */
  readonly familyAccessTokens: number
  readonly refreshTokens: number
  readonly opaqueTokens: number
  readonly revoked: number
  /** Device authorizations (RFC 8628); default DEVICE_STORE_LIMITS. */
  readonly deviceAuthorizations?: number
  /** Pushed authorization requests (RFC 9126); default DEVICE_STORE_LIMITS. */
  readonly pushedRequests?: number
}

/** A kind of entry at its cap with nothing that may go: the store refuses the new one, nothing changed. */
export class StoreFullError extends Error {
  override name = 'StoreFullError'
  constructor(readonly kind: keyof StoreLimits) {
    super(`the store is full: too many live ${kind} to keep one more without forgetting one still needed`)
  }
}

export interface StoreSize {
  readonly codes: number
  readonly grants: number
  readonly revoked: number
  readonly families: number
  readonly refreshTokens: number
  readonly opaqueTokens: number
}

export interface AuthStore {
  // Authorization codes (RFC 6749 §4.1.2): one use, short-lived, memory only.

  /** Keeps a code for its redemption at the token endpoint; at the cap the oldest code goes. */
  saveCode(code: AuthorizationCode): void
  /**
   * Redeems a code, once: the first call for a live code of this client
   * answers `ok` and consumes it. Any later call is a replay, and revokes
   * every token recorded for the code (RFC 6749 §4.1.2, §10.5). A code of
   * another client is `unknown` and stays as it was (RFC 6749 §4.1.3).
   */
  consumeCode(code: string, clientId: string): ConsumeCodeResult
  /**
   * Binds what was issued from a consumed code (its access token, and the
   * family its refresh tokens belong to), so that a replay of the code revokes
   * them. Call it before the first `await` of the issuance. A code already
   * forgotten (its lifetime and its tokens' have passed) binds nothing.
   */
  recordIssued(code: string, issued: { readonly accessToken: IssuedToken; readonly familyId?: string }): void

  // Token families and refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2).

  /** Starts the family of refresh tokens of one authorization; at the cap the oldest family goes. */
  startFamily(family: NewTokenFamily): TokenFamily
  findFamily(id: string): TokenFamily | undefined
  /** Records an access token issued in a family, so revoking the family revokes it (RFC 7009 §2.1); at the cap the oldest other family goes. */
  recordAccessToken(familyId: string, token: IssuedToken): void
  /** Keeps a new, unrotated refresh token of a family; at the cap the oldest refresh token goes. */
  saveRefreshToken(token: NewRefreshToken): void
  /** The token and its family, whatever their state (introspection reports it inactive). */
  findRefreshToken(hash: string): RefreshTokenView | undefined
  /**
   * Exchanges a refresh token, once. In this order: a token that is unknown,
   * of another client, or whose family is revoked, changes nothing; a token
   * rotated before revokes its family (RFC 9700 §4.14.2); an expired one
   * changes nothing; a scope wider than the family's changes nothing (RFC 6749
   * §6); otherwise the token is marked rotated and the family returned.
   */
  rotateRefreshToken(request: RotationRequest): RotateResult
  /** Revokes a family: its refresh tokens stop working, its access tokens are revoked. False if unknown. */
  revokeFamily(id: string): boolean
  /** Revokes every live family of a user's grant to a client (the decision was withdrawn); how many. */
  revokeFamiliesOf(sub: string, clientId: string): number

  // Revoked access tokens (RFC 7009), by jti, until they expire.

  /** StoreFullError when the cap is full of live revocations (RFC 7009 §2.2.1): the token stays valid. */
  revokeToken(token: IssuedToken): void
  isRevoked(jti: string): boolean

  // Opaque access tokens, known by their hash.

  saveOpaqueToken(token: OpaqueAccessToken): void
  findOpaqueToken(hash: string): OpaqueAccessToken | undefined

  // Remembered decisions (consent), one per user and client.

  /** Remembers a decision; scopes add to any already remembered for this user and client. The merged grant. */
  saveGrant(grant: RememberedGrant): RememberedGrant
  findGrant(sub: string, clientId: string): RememberedGrant | undefined
  listGrants(sub: string): RememberedGrant[]
  /** Forgets a decision; false if there was none. Does not revoke tokens: see `revokeFamiliesOf`. */
  forgetGrant(sub: string, clientId: string): boolean

  // Device authorizations (RFC 8628) and pushed authorization requests (RFC
  // 9126): short-lived, one use, capped and swept like codes (memory only in
  // both stores, as codes are). Types and semantics: device-store.ts.

  /** Keeps a new device authorization; false (nothing kept) if its user code is taken by a live one. */
  saveDeviceAuthorization(authorization: NewDeviceAuthorization): boolean
  /** The live, still pending device authorization with this (normalised) user code. */
  findPendingDevice(userCode: string): DeviceAuthorization | undefined
  /** The user allowed it (RFC 8628 §3.3): only a live, pending one; false otherwise, nothing changed. */
  approveDevice(userCode: string, user: DeviceApproval): boolean
  /** The user denied it: only a live, pending one; false otherwise, nothing changed. */
  denyDevice(userCode: string): boolean
  /** One poll of the token endpoint (RFC 8628 §3.4, §3.5), checked and recorded in one step. */
  pollDevice(deviceCode: string, clientId: string): DevicePollResult
  /** Lab only (POST /_lab/device/expire): the device code's lifetime ends now; false if unknown. */
  expireDevice(deviceCode: string): boolean
  /** Keeps a pushed authorization request until it is used or expires (RFC 9126 §2.2). */
  savePushedRequest(request: PushedRequest): void
  /** Uses a pushed request, once, for the client that pushed it (RFC 9126 §4). */
  usePushedRequest(requestUri: string, clientId: string): UsePushedResult
  /** How many device authorizations and pushed requests are kept, for tests that check purging. */
  deviceSize(): DeviceStoreSize

  // Dynamically registered clients (RFC 7591), kept until deleted (RFC 7592 §2.3)
  // or pushed out by the registry's cap (registration/dynamic-clients.ts).
  // Registrations, like the configured clients, survive `clear()`.

  /** Keeps a registered client; one of the same client_id is replaced. */
  saveClient(client: StoredClient): void
  findClient(clientId: string): StoredClient | undefined
  /** Every registered client, oldest first. */
  listClients(): StoredClient[]
  /** Forgets a registered client; false if there was none. */
  deleteClient(clientId: string): boolean

  /** Forgets everything above (the test API's `lab.reset()`). Signing keys, sessions and registered clients stay. */
  clear(): void
  /** How many entries are kept, for tests that check purging. */
  size(): StoreSize
}

/**
 * A client registered at POST /register (RFC 7591): its metadata as
 * registered, enough to rebuild it after a restart.
 */
export interface StoredClient {
  readonly clientId: string
  /** Seconds since the epoch (RFC 7591 §3.2.1 client_id_issued_at). */
  readonly issuedAt: number
  /** SHA-256 (base64url) of its registration access token (RFC 7592 §3): never the token itself. */
  readonly registrationTokenHash: string
  /** The client metadata as registered (RFC 7591 §2), client_secret included for a confidential client. */
  readonly metadata: Readonly<Record<string, unknown>>
}

/** Everything the store keeps apart from codes, as plain data: what a durable store loads back at start. */
export interface StoreSnapshot {
  /** Registered clients, oldest first (absent: none). */
  readonly clients?: readonly StoredClient[]
  readonly grants: readonly RememberedGrant[]
  readonly families: ReadonlyArray<TokenFamily & { readonly accessTokens: readonly IssuedToken[] }>
  readonly refreshTokens: readonly RefreshToken[]
  readonly revoked: readonly IssuedToken[]
  readonly opaqueTokens: readonly OpaqueAccessToken[]
}
