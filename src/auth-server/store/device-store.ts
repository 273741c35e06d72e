// What the store keeps for the device authorization grant (RFC 8628) and for
// pushed authorization requests (RFC 9126), as plain data. The operations are
// declared in the AuthStore contract (auth-store.ts); both stores keep these
// in memory only, like codes: they live minutes, are used once, and a restart
// only makes a device start again.

/** A device authorization as issued at POST /device_authorization (RFC 8628 §3.2). */
export interface NewDeviceAuthorization {
  /** The device's secret (258 random bits; RFC 8628 §3.2 asks for enough entropy, §5.2). */
  readonly deviceCode: string
  /** Normalised: the 8 consonants without the dash (RFC 8628 §6.1); unique among live ones. */
  readonly userCode: string
  readonly clientId: string
  /** The scopes asked for, already checked against the client (as at /authorize). */
  readonly scopes: readonly string[]
  /** Milliseconds since the epoch: `expires_in` from issue. */
  readonly expiresAt: number
  /** RFC 8628 §3.2 `interval`: the least seconds between two polls. */
  readonly intervalSeconds: number
}

/** Where the user's decision stands; once the device has had its tokens the authorization is gone. */
export type DeviceStatus = 'pending' | 'approved' | 'denied'

export interface DeviceAuthorization extends NewDeviceAuthorization {
  readonly status: DeviceStatus
}

/** Who approved a device authorization, and when they signed in (for the ID token's auth_time). */
export interface DeviceApproval {
  readonly sub: string
  readonly authTime: number
}

export type DevicePollResult =
  /** Approved: the device code is consumed now, a second poll is `unknown` (RFC 8628 §3.5). */
  | { readonly ok: true; readonly authorization: DeviceAuthorization; readonly user: DeviceApproval }
  /** No such device code, another client's, or used already; nothing changed. */
  | { readonly ok: false; readonly reason: 'unknown' }
  /** Past its lifetime: expired_token (RFC 8628 §3.5). */
  | { readonly ok: false; readonly reason: 'expired' }
  /** The user has not decided yet: authorization_pending. */
  | { readonly ok: false; readonly reason: 'pending' }
  /** Polled sooner than the interval: the interval is now 5 s longer, for this and every later poll (§3.5). */
  | { readonly ok: false; readonly reason: 'slow_down'; readonly intervalSeconds: number }
  /** The user pressed Deny: access_denied. */
  | { readonly ok: false; readonly reason: 'denied' }

/** A pushed authorization request (RFC 9126 §2.2): the parameters as pushed, behind a one-time request_uri. */
export interface PushedRequest {
  /** `urn:ietf:params:oauth:request_uri:<random>`. */
  readonly requestUri: string
  /** The client that pushed it: the only one that may use it (RFC 9126 §4). */
  readonly clientId: string
  /** The authorization request's parameters as a query string, client_id included, checked when pushed. */
  readonly query: string
  readonly expiresAt: number
}

export type UsePushedResult =
  | { readonly ok: true; readonly request: PushedRequest }
  /** Never pushed, or forgotten since; nothing changed. */
  | { readonly ok: false; readonly reason: 'unknown' }
  /** Pushed by another client; nothing changed, so the one that pushed it can still use it. */
  | { readonly ok: false; readonly reason: 'other_client' }
  /** Used before (RFC 9126 §4: one-time). */
  | { readonly ok: false; readonly reason: 'used' }
  | { readonly ok: false; readonly reason: 'expired' }

export interface DeviceStoreSize {
  readonly deviceAuthorizations: number
  readonly pushedRequests: number
}

/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval. */
export const SLOW_DOWN_STEP_SECONDS = 5
