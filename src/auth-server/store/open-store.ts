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
  ID_TOKEN_SIGNING_ALGORITHMS,
  importSigningKeys,
  type AlgorithmKeys,
  type KeyRing,
  type SigningAlgorithm,
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
      keys: createKeyRing(givenKeys ?? (await generateSigningKeys(config.auth.signingAlg)), retention(config, now)),
      close: () => undefined,
    }
  }
  const store = createSqliteStore(storeConfig.path, now)
  try {
    return {
      store,
      sessions: createSqliteSessionStore(store.db, config.auth.sessionTtlSeconds * 1000, isSignedIn, now),
      keys: await durableKeyRing(store, config, givenKeys, now),
      close: () => store.close(),
    }
  } catch (error) {
    // Reading or writing the signing keys failed: the same one line as a file that cannot be opened.
    store.close()
    throw cannotUseStore(storeConfig.path, error)
  }
}

/**
 * The signing keys of a durable store: each algorithm's current and previous
 * key reloaded if stored (the same kids after a restart, whatever SIGNING_ALG
 * says now); any missing one made at once, not on first use, so that a file
 * that cannot be written stops the start; all saved again after each rotation.
 */
async function durableKeyRing(
  store: SqliteAuthStore,
  config: LabConfig,
  given: SigningKeys | undefined,
  now: () => number,
): Promise<KeyRing> {
  if (given !== undefined) return createKeyRing(given, retention(config, now))
  const save = async (published: readonly SigningKeys[]) =>
    store.saveSigningKeys(await Promise.all(published.map(exportSigningKeys)))
  const stored = byAlgorithm(await Promise.all(store.loadSigningKeys().map(importSigningKeys)))
  let made = false
  const keysOf = async (alg: SigningAlgorithm): Promise<AlgorithmKeys> => {
    const found = stored.find((keys) => keys.current.alg === alg)
    if (found) return found
    made = true
    return { current: await generateSigningKeys(alg) }
  }
  const accessAlg = config.auth.signingAlg
  const [access, others] = await Promise.all([
    keysOf(accessAlg),
    Promise.all(ID_TOKEN_SIGNING_ALGORITHMS.filter((alg) => alg !== accessAlg).map(keysOf)),
  ])
  const all = [access, ...others]
  if (made) await save([...all.map((keys) => keys.current), ...all.flatMap((keys) => keys.previous ?? [])])
  return createKeyRing(access.current, {
    ...(access.previous ? { previous: access.previous } : {}),
    others,
    onChange: save,
    ...retention(config, now),
  })
}

/**
 * A key pushed out by a rotation stays published while a token it signed may
 * be live: the access token lifetime (ID tokens live as long).
 */
function retention(config: LabConfig, now: () => number): { readonly retainMs: number; readonly now: () => number } {
  return { retainMs: config.auth.accessTokenTtlSeconds * 1000, now }
}

/** Stored keys, each algorithm's first one current and its second one previous (the order they were saved in). */
function byAlgorithm(keys: readonly SigningKeys[]): AlgorithmKeys[] {
  const rings = new Map<SigningAlgorithm, AlgorithmKeys>()
  for (const key of keys) {
    const ring = rings.get(key.alg)
    if (ring === undefined) rings.set(key.alg, { current: key })
    else if (ring.previous === undefined) rings.set(key.alg, { ...ring, previous: key })
  }
  return [...rings.values()]
}
