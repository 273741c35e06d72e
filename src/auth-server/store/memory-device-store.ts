// The device authorizations (RFC 8628) and pushed authorization requests
// (RFC 9126) of the memory store: two capped maps, swept with the rest of the
// store. Every operation checks and changes in one synchronous step, so two
// racing polls cannot both get tokens, nor two browsers both use one request_uri.

import { StoreFullError, type StoreLimits } from './auth-store.js'
import {
  SLOW_DOWN_STEP_SECONDS,
  type DeviceApproval,
  type DeviceAuthorization,
  type DevicePollResult,
  type DeviceStoreSize,
  type NewDeviceAuthorization,
  type PushedRequest,
  type UsePushedResult,
} from './device-store.js'

/** Far above what a lab keeps alive (a device code lives 10 minutes, a pushed request 60 s). */
export const DEVICE_STORE_LIMITS = { deviceAuthorizations: 10_000, pushedRequests: 100_000 } as const

/**
 * An expired device code is kept this much longer, so that a device still
 * polling hears expired_token (RFC 8628 §3.5) rather than invalid_grant.
 */
const EXPIRED_KEPT_MS = 10 * 60_000

interface DeviceEntry {
  readonly authorization: NewDeviceAuthorization
  status: DeviceAuthorization['status']
  intervalSeconds: number
  lastPollAt?: number
  user?: DeviceApproval
}

interface PushedEntry {
  readonly request: PushedRequest
  used: boolean
}

/** The AuthStore methods for device authorizations and pushed requests, plus what the store's sweep and clear call. */
export function createDeviceMemory(now: () => number, limits: StoreLimits) {
  const deviceCap = limits.deviceAuthorizations ?? DEVICE_STORE_LIMITS.deviceAuthorizations
  const pushedCap = limits.pushedRequests ?? DEVICE_STORE_LIMITS.pushedRequests
  const devices = new Map<string, DeviceEntry>()
  /** Normalised user code → device code, for the verification page. */
  const byUserCode = new Map<string, string>()
  const pushed = new Map<string, PushedEntry>()

  const view = (entry: DeviceEntry): DeviceAuthorization => ({
    ...entry.authorization,
    intervalSeconds: entry.intervalSeconds,
    status: entry.status,
  })

  function forgetDevice(deviceCode: string): void {
    const entry = devices.get(deviceCode)
    devices.delete(deviceCode)
    if (entry && byUserCode.get(entry.authorization.userCode) === deviceCode)
      byUserCode.delete(entry.authorization.userCode)
  }

  /** A live, pending authorization by its user code. */
  function pendingEntry(userCode: string): DeviceEntry | undefined {
    const deviceCode = byUserCode.get(userCode)
    const entry = deviceCode === undefined ? undefined : devices.get(deviceCode)
    if (!entry || entry.status !== 'pending' || entry.authorization.expiresAt <= now()) return undefined
    return entry
  }

  function poll(deviceCode: string, clientId: string): DevicePollResult {
    const entry = devices.get(deviceCode)
    // RFC 8628 §3.4 / RFC 6749 §5.2: a device code of another client is invalid_grant, as an unknown one.
    if (!entry || entry.authorization.clientId !== clientId) return { ok: false, reason: 'unknown' }
    const t = now()
    if (entry.authorization.expiresAt <= t) return { ok: false, reason: 'expired' }
    if (entry.status === 'denied') return { ok: false, reason: 'denied' }
    if (entry.status === 'approved' && entry.user) {
      // One use: the device code is gone, a second poll is invalid_grant.
      forgetDevice(deviceCode)
      return { ok: true, authorization: view(entry), user: entry.user }
    }
    const tooSoon = entry.lastPollAt !== undefined && t - entry.lastPollAt < entry.intervalSeconds * 1000
    entry.lastPollAt = t
    if (tooSoon) {
      // RFC 8628 §3.5: slow_down, and the interval grows by 5 s for this and all later polls.
      entry.intervalSeconds += SLOW_DOWN_STEP_SECONDS
      return { ok: false, reason: 'slow_down', intervalSeconds: entry.intervalSeconds }
    }
    return { ok: false, reason: 'pending' }
  }

  function usePushed(requestUri: string, clientId: string): UsePushedResult {
    const entry = pushed.get(requestUri)
    if (!entry) return { ok: false, reason: 'unknown' }
    // RFC 9126 §4: the request_uri is bound to the client that pushed it.
    if (entry.request.clientId !== clientId) return { ok: false, reason: 'other_client' }
    if (entry.used) return { ok: false, reason: 'used' }
    entry.used = true
    if (entry.request.expiresAt <= now()) return { ok: false, reason: 'expired' }
    return { ok: true, request: entry.request }
  }

  return {
    methods: {
      saveDeviceAuthorization(authorization: NewDeviceAuthorization): boolean {
        if (pendingEntry(authorization.userCode) !== undefined) return false
        // A user code of an expired or decided authorization may be issued again; that one keeps
        // answering its device (expired_token, access_denied) but is no longer found by its user code.
        byUserCode.delete(authorization.userCode)
        // At the cap the oldest goes: its device then hears invalid_grant (fails closed).
        while (devices.size >= deviceCap) {
          const oldest = devices.keys().next()
          if (oldest.done === true) throw new StoreFullError('deviceAuthorizations')
          forgetDevice(oldest.value)
        }
        devices.set(authorization.deviceCode, {
          authorization: { ...authorization, scopes: [...authorization.scopes] },
          status: 'pending',
          intervalSeconds: authorization.intervalSeconds,
        })
        byUserCode.set(authorization.userCode, authorization.deviceCode)
        return true
      },
      findPendingDevice(userCode: string): DeviceAuthorization | undefined {
        const entry = pendingEntry(userCode)
        return entry && view(entry)
      },
      approveDevice(userCode: string, user: DeviceApproval): boolean {
        const entry = pendingEntry(userCode)
        if (!entry) return false
        entry.status = 'approved'
        entry.user = { ...user }
        return true
      },
      denyDevice(userCode: string): boolean {
        const entry = pendingEntry(userCode)
        if (!entry) return false
        entry.status = 'denied'
        return true
      },
      pollDevice: poll,
      expireDevice(deviceCode: string): boolean {
        const entry = devices.get(deviceCode)
        if (!entry) return false
        // Kept (and swept) as if it had expired now: its device hears expired_token (RFC 8628 §3.5).
        devices.set(deviceCode, { ...entry, authorization: { ...entry.authorization, expiresAt: now() } })
        return true
      },
      savePushedRequest(request: PushedRequest): void {
        while (pushed.size >= pushedCap) {
          const oldest = pushed.keys().next()
          if (oldest.done === true) throw new StoreFullError('pushedRequests')
          pushed.delete(oldest.value)
        }
        pushed.set(request.requestUri, { request: { ...request }, used: false })
      },
      usePushedRequest: usePushed,
      deviceSize(): DeviceStoreSize {
        return { deviceAuthorizations: devices.size, pushedRequests: pushed.size }
      },
    },
    /** Forgets what has expired (a device code once its grace after expiry is over too). */
    sweep(t: number): void {
      for (const [code, entry] of devices) if (entry.authorization.expiresAt + EXPIRED_KEPT_MS <= t) forgetDevice(code)
      for (const [uri, entry] of pushed) if (entry.request.expiresAt <= t) pushed.delete(uri)
    },
    clear(): void {
      devices.clear()
      byUserCode.clear()
      pushed.clear()
    },
  }
}
