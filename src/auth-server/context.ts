import type { LabConfig } from '../shared/config.js'
import type { ClientRegistry } from './clients.js'
import type { SigningKeys } from './keys.js'
import type { AuthStore } from './store.js'

/** What every route of the authorization server works with; built once in app.ts. */
export interface AuthServerContext {
  readonly config: LabConfig
  readonly clients: ClientRegistry
  readonly keys: SigningKeys
  readonly store: AuthStore
  /** The sign-in sessions (cleared by the test API's `lab.reset()`). */
  readonly sessions: { clear(): void; size(): number }
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly now: () => number
}
