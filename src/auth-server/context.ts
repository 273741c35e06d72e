import type { LabConfig } from '../shared/config.js'
import type { UserDirectory } from './account/user-directory.js'
import type { ClientRegistry } from './clients.js'
import type { AuthServerExtensions } from './extensions.js'
import type { KeyRing } from './tokens/keys.js'
import type { AuthStore } from './store/auth-store.js'

/** What every route of the authorization server works with; built once in app.ts. */
export interface AuthServerContext {
  readonly config: LabConfig
  readonly clients: ClientRegistry
  /** The users who can sign in: the configured ones and any the lab added while running. */
  readonly users: UserDirectory
  /** Read the current key at signing time: a key rotation replaces it. */
  readonly keys: KeyRing
  readonly store: AuthStore
  /** The sign-in sessions (cleared by the test API's `lab.reset()`). */
  readonly sessions: { clear(): void; size(): number }
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly now: () => number
  /** The named extension points (extensions.ts): all no-ops unless a lab feature is on. */
  readonly extensions: AuthServerExtensions
  /** Set for one token request that carried a valid DPoP proof: its tokens are bound to this key (RFC 9449 §5, §6). */
  readonly tokenBinding?: { readonly jkt: string }
}

declare module 'fastify' {
  interface FastifyInstance {
    oauthLab: AuthServerContext
  }
}
