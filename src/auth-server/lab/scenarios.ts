// One-shot scenarios for tests of OAuth clients: make the next token requests
// fail, deny the next authorization, slow the token endpoint, rotate the
// signing keys. Plain data behind plain functions; `clear()` disarms them all.

import type { KeyRing } from '../tokens/keys.js'
import type { OAuthErrorCode } from '../oauth-error.js'
import {
  MAX_COUNT,
  MAX_DELAY_MS,
  TOKEN_FAILURE_ERRORS,
  type ScenarioInput,
  type TokenFailureError,
} from '../../shared/scenario-items.js'

// The errors, bounds and written shape live in shared/scenario-items.ts: a config file arms scenarios too.
export { MAX_COUNT, MAX_DELAY_MS, TOKEN_FAILURE_ERRORS, type TokenFailureError } from '../../shared/scenario-items.js'

// Every error a scenario may fail with is one the token endpoint can answer.
const CHECKED_ERRORS = TOKEN_FAILURE_ERRORS satisfies readonly OAuthErrorCode[]

export interface FailTokenRequests {
  /** How many token requests fail (default 1). */
  readonly count?: number
  readonly error?: TokenFailureError
  readonly description?: string
}

export interface DelayTokenEndpoint {
  /** Milliseconds, at most 30 000. */
  readonly ms: number
  /** How many token requests are slowed (default 1). */
  readonly count?: number
}

/** What is armed now (GET /_lab/scenarios). */
export interface ArmedScenarios {
  readonly failTokenRequests: {
    readonly remaining: number
    readonly error: TokenFailureError
    readonly description?: string
  } | null
  readonly denyNextAuthorization: boolean
  readonly delayTokenEndpoint: { readonly remaining: number; readonly ms: number } | null
  /** The published kids: the current ones first (the access tokens' first of all), then the ones they replaced. */
  readonly keys: readonly string[]
}

export interface Scenarios {
  /** The next `count` requests to the token endpoint answer `error` (default invalid_grant), whatever they carry. */
  failTokenRequests(options?: FailTokenRequests): void
  /** The next authorization that would issue a code (after sign-in) redirects with error=access_denied instead. */
  denyNextAuthorization(): void
  /** The next `count` token requests wait `ms` milliseconds (real time) before being handled. */
  delayTokenEndpoint(options: DelayTokenEndpoint): void
  /**
   * A new key of every algorithm becomes current (the access tokens' and each
   * ID token algorithm's); each previous one stays in /jwks, and after the
   * next rotation as long as tokens it signed can be live. Answers the access
   * tokens' new kid.
   */
  rotateKeys(): Promise<{ readonly kid: string }>
  /** Disarms every one-shot scenario (keys are not rotated back). */
  clear(): void
  armed(): ArmedScenarios
}

/** The server's side: each call consumes one armed occurrence. */
export interface ScenarioState extends Scenarios {
  takeTokenFailure(): { error: TokenFailureError; description: string } | undefined
  takeTokenDelay(): number
  takeDenial(): boolean
}

function checkCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT)
    throw new RangeError(`count must be a whole number from 1 to ${MAX_COUNT}`)
  return count
}

export function createScenarios(keys: KeyRing): ScenarioState {
  let failure: { remaining: number; error: TokenFailureError; description?: string } | undefined
  let delay: { remaining: number; ms: number } | undefined
  let deny = false
  return {
    failTokenRequests({ count = 1, error = 'invalid_grant', description } = {}) {
      if (!CHECKED_ERRORS.includes(error))
        throw new RangeError(`error must be one of ${TOKEN_FAILURE_ERRORS.join(', ')}`)
      failure = { remaining: checkCount(count), error, ...(description === undefined ? {} : { description }) }
    },
    denyNextAuthorization() {
      deny = true
    },
    delayTokenEndpoint({ ms, count = 1 }) {
      if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS)
        throw new RangeError(`ms must be a whole number from 0 to ${MAX_DELAY_MS}`)
      delay = { remaining: checkCount(count), ms }
    },
    rotateKeys: () => keys.rotate(),
    clear() {
      failure = undefined
      delay = undefined
      deny = false
    },
    armed: () => ({
      failTokenRequests: failure ? { ...failure } : null,
      denyNextAuthorization: deny,
      delayTokenEndpoint: delay ? { ...delay } : null,
      keys: keys.publishedKids(),
    }),
    takeTokenFailure() {
      if (!failure) return undefined
      const { error, description = 'The lab was told to fail this token request (scenario fail-token-requests).' } =
        failure
      if (--failure.remaining <= 0) failure = undefined
      return { error, description }
    },
    takeTokenDelay() {
      if (!delay) return 0
      const { ms } = delay
      if (--delay.remaining <= 0) delay = undefined
      return ms
    },
    takeDenial() {
      const armed = deny
      deny = false
      return armed
    },
  }
}

/** Arms one scenario written as data (POST /_lab/scenarios, or a config file's `scenarios` at start). */
export async function armScenario(scenarios: Scenarios, scenario: ScenarioInput): Promise<void> {
  if (scenario.type === 'fail-token-requests') scenarios.failTokenRequests(scenario)
  else if (scenario.type === 'deny-next-authorization') scenarios.denyNextAuthorization()
  else if (scenario.type === 'delay-token-endpoint') scenarios.delayTokenEndpoint(scenario)
  else if (scenario.type === 'rotate-keys') await scenarios.rotateKeys()
  else scenarios.clear()
}
