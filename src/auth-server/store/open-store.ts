// What the authorization server keeps, opened as the configuration says
// (STORE): the auth store, the sign-in sessions and the signing keys, in
// memory or durable in one SQLite file. A durable store that cannot be used
// is a StartupError: one line naming the path and the problem, exit 1.

import type { LabConfig } from '../../shared/config.js'
import type { SessionStore } from '../../shared/session-store.js'
import { createSessionStore, isSignedIn } from '../account/sign-in-session.js'
import {
  createKeyRing,
  exportSigningKeys,
  generateSigningKeys,
  importSigningKeys,
  type KeyRing,
  type SigningKeys,
} from '../tokens/keys.js'
import type { AuthStore } from './auth-store.js'
import { createMemoryStore } from './memory-store.js'
import { createSqliteSessionStore } from './sqlite-session-store.js'
import { cannotUseStore, createSqliteStore, type SqliteAuthStore } from './sqlite-store.js'

export interface OpenedStore {
  readonly store: AuthStore
  readonly sessions: SessionStore
  readonly keys: KeyRing
  /** Closes the file of a durable store; nothing to do in memory. */
  readonly close: () => void
}

/** Keys handed in (tests) are used as they are, never stored. */
export async function openStore(
  config: LabConfig,
  now: () => number,
  givenKeys: SigningKeys | undefined,
): Promise<OpenedStore> {
  const storeConfig = config.auth.store ?? { kind: 'memory' }
  if (storeConfig.kind === 'memory') {
    return {
      store: createMemoryStore(now),
      sessions: createSessionStore(config.auth, now),
      keys: createKeyRing(givenKeys ?? (await generateSigningKeys(config.auth.signingAlg))),
      close: () => undefined,
    }
  }
  const store = createSqliteStore(storeConfig.path, now)
  try {
    return {
      store,
      sessions: createSqliteSessionStore(store.db, config.auth.sessionTtlSeconds * 1000, isSignedIn, now),
      keys: await durableKeyRing(store, config, givenKeys),
      close: () => store.close(),
    }
  } catch (error) {
    // Reading or writing the signing keys failed: the same one line as a file that cannot be opened.
    store.close()
    throw cannotUseStore(storeConfig.path, error)
  }
}

/** The signing keys of a durable store: reloaded if stored (same kid after a restart), else made and saved. */
async function durableKeyRing(
  store: SqliteAuthStore,
  config: LabConfig,
  given: SigningKeys | undefined,
): Promise<KeyRing> {
  const save = async (current: SigningKeys, previous?: SigningKeys) =>
    store.saveSigningKeys([await exportSigningKeys(current), ...(previous ? [await exportSigningKeys(previous)] : [])])
  if (given !== undefined) return createKeyRing(given)
  const stored = store.loadSigningKeys()
  if (stored[0] !== undefined && stored[0].alg === config.auth.signingAlg) {
    const current = await importSigningKeys(stored[0])
    const previous = stored[1] && (await importSigningKeys(stored[1]))
    return createKeyRing(current, { ...(previous ? { previous } : {}), onRotate: save })
  }
  const initial = await generateSigningKeys(config.auth.signingAlg)
  await save(initial)
  return createKeyRing(initial, { onRotate: save })
}
