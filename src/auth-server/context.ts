import type { LabConfig } from '../shared/config.js'
import type { ClientRegistry } from './clients.js'
import type { AuthServerHooks } from './lab/hooks.js'
import type { KeyRing } from './tokens/keys.js'
import type { ScenarioState } from './lab/scenarios.js'
import type { AuthStore } from './store/auth-store.js'

/** What every route of the authorization server works with; built once in app.ts. */
export interface AuthServerContext {
  readonly config: LabConfig
  readonly clients: ClientRegistry
  /** Read the current key at signing time: `rotateKeys()` replaces it. */
  readonly keys: KeyRing
  readonly store: AuthStore
  /** The sign-in sessions (cleared by the test API's `lab.reset()`). */
  readonly sessions: { clear(): void; size(): number }
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly now: () => number
  /** Mutable: the test API sets and unsets hooks while the server runs. */
  readonly hooks: AuthServerHooks
  readonly scenarios: ScenarioState
}
