// The signing keys of access and ID tokens and the public JWKS that verifiers
// fetch (RFC 9068 §2.1: asymmetric, never `none`; §4: advertised through jwks_uri).
// A key ring: one key per algorithm the server signs with (the access tokens'
// SIGNING_ALG; RS256, ES256 and EdDSA for ID tokens, OpenID Connect Discovery
// 1.0 §3). After a rotation each previous key stays published, so tokens it
// signed keep verifying (RFC 7517 §5, OIDC Core §10.1.1). A rotation may
// also publish the next keys first and switch to them later, so that verifiers
// that cache the JWKS (and refetch it at most so often) already know the new
// kid when the first token signed with it arrives (OIDC Core §10.1.1: "the
// signer can begin using a new key at its discretion and signals the change
// to the verifier using the kid value").

import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'
import type { SigningAlg } from '../../shared/enumerations.js'

export { SIGNING_ALGS as SIGNING_ALGORITHMS } from '../../shared/enumerations.js'
export type SigningAlgorithm = SigningAlg

export interface SigningKeys {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** The public JWKS document served at /jwks. */
  readonly jwks: { keys: JWK[] }
}

/**
 * The authorization server's keys: one ring per algorithm it signs with (the
 * access tokens' SIGNING_ALG, and RS256, ES256 and EdDSA for ID tokens, which
 * each client picks). Its `SigningKeys` fields always describe the access
 * tokens' current key (read them at signing time, never cache them); `jwks`
 * lists every current key, the access tokens' first, then the ones they replaced.
 */
export interface KeyRing extends SigningKeys {
  /** Every published key, of any algorithm, for verifying tokens this server signed (any kid). */
  readonly verificationKeys: JWTVerifyGetKey
  /**
   * The current key of `alg`, made on first use: an RSA key takes 100-300 ms
   * to make, which a server that never signs with it should not pay.
   */
  currentKeys(alg: SigningAlgorithm): Promise<SigningKeys>
  /** Makes the key of every algorithm not made yet, so that `jwks` lists them all. */
  prepare(): Promise<void>
  /**
   * Without options: a new key of every algorithm becomes current (a next key
   * already published becomes current rather than a fresh one); each previous
   * one stays published (and after the next rotation, for `retainMs`). `publishFirst`: the next key
   * of every algorithm is published at once but signing goes on with the
   * current one, until a second such call or `promote`. `promote` with no
   * next key waiting throws a NoKeyWaitingError.
   */
  rotate(options?: RotateOptions): Promise<Rotation>
  /** The kids in /jwks, current first (the access tokens' key first of all), then the next ones, then the previous ones. */
  publishedKids(): string[]
}

export interface RotateOptions {
  /** Publish the next keys now, keep signing with the current ones; a second call switches. */
  readonly publishFirst?: boolean
  /** Switch to the next keys published earlier. */
  readonly promote?: boolean
}

export interface Rotation {
  /** The access tokens' signing kid after the call. */
  readonly kid: string
  /** The access tokens' next kid, published and waiting, if any. */
  readonly next?: string
}

/** `promote` asked while no next key is published. */
export class NoKeyWaitingError extends Error {
  override name = 'NoKeyWaitingError'
  constructor() {
    super('no next key is waiting: rotate with publishFirst first')
  }
}

/** A fresh key pair (ES256 by default); its kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKeys(alg: SigningAlgorithm = 'ES256'): Promise<SigningKeys> {
  // RFC 9068 §2.1: RS256 must be possible; RSA keys of 2048 bits as RFC 7518 §3.3 requires.
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { alg, kid, privateKey, publicKey, jwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] } }
}

/** A key pair as stored by a durable store: both halves as JWKs. */
export interface StoredSigningKeys {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly privateJwk: JWK
  readonly publicJwk: JWK
}

/** The keys as JWKs (they must have been generated extractable, as `generateSigningKeys` does). */
export async function exportSigningKeys(keys: SigningKeys): Promise<StoredSigningKeys> {
  // The published entry (kid, alg, use included): importSigningKeys publishes it again as it is.
  const publicJwk = keys.jwks.keys[0] ?? {
    ...(await exportJWK(keys.publicKey)),
    kid: keys.kid,
    alg: keys.alg,
    use: 'sig',
  }
  return { alg: keys.alg, kid: keys.kid, privateJwk: await exportJWK(keys.privateKey), publicJwk }
}

/** The keys back from their JWKs, extractable again so they can be stored again. */
export async function importSigningKeys(stored: StoredSigningKeys): Promise<SigningKeys> {
  const privateKey = (await importJWK(stored.privateJwk, stored.alg, { extractable: true })) as CryptoKey
  const publicKey = (await importJWK(stored.publicJwk, stored.alg, { extractable: true })) as CryptoKey
  return { alg: stored.alg, kid: stored.kid, privateKey, publicKey, jwks: { keys: [{ ...stored.publicJwk }] } }
}

/** The keys of one algorithm: the current one signs; the one it replaced stays published. */
export interface AlgorithmKeys {
  readonly current: SigningKeys
  readonly previous?: SigningKeys
  /** Published already, signing nothing yet (a rotation with publishFirst). */
  readonly next?: SigningKeys
  /** Keys replaced before `previous`, still published until `until` (ms): tokens they signed may be live. */
  readonly retired?: ReadonlyArray<{ readonly keys: SigningKeys; readonly until: number }>
}

/** Retired keys kept per algorithm at most, however fast the rotations: /jwks stays bounded. */
export const MAX_RETIRED_KEYS = 4

/**
 * The algorithms of ID tokens (OpenID Connect Discovery 1.0 §3: RS256 must be
 * among them), in the order discovery lists them; RS256 is the default (OIDC
 * Dynamic Client Registration 1.0 §2, id_token_signed_response_alg).
 */
export const ID_TOKEN_SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlgorithm[]
export const DEFAULT_ID_TOKEN_SIGNING_ALGORITHM: SigningAlgorithm = 'RS256'

export interface KeyRingOptions {
  /** A key of the initial key's algorithm still published from before (e.g. reloaded from a durable store). */
  readonly previous?: SigningKeys
  /** The keys of the other algorithms, e.g. reloaded from a durable store; one not given is made on first use. */
  readonly others?: readonly AlgorithmKeys[]
  /**
   * Called after each rotation and each key made, with every key that signs or
   * signed (current, then previous: /jwks order without the next keys), e.g.
   * to persist them. A next key waiting is not persisted: after a restart it
   * is simply gone, having signed nothing.
   */
  readonly onChange?: (published: readonly SigningKeys[]) => void | Promise<void>
  /**
   * How long a key pushed out of `previous` by a rotation stays published: the
   * longest lifetime of a token it signed (RFC 7517 §5, OIDC Core §10.1.1:
   * verifiers must still find it). Default 0: gone at the rotation, as a
   * previous key always was. Retired keys are not persisted.
   */
  readonly retainMs?: number
  /** Milliseconds since the epoch (the server's clock), for `retainMs`. */
  readonly now?: () => number
}

/**
 * Every published key: each algorithm's current key in `order`, then each
 * one's next key, its previous key, and its retired keys still live at `now`.
 * `all` false: only the keys a durable store keeps (current and previous).
 */
function publishedKeys(
  order: readonly SigningAlgorithm[],
  made: ReadonlyMap<SigningAlgorithm, AlgorithmKeys>,
  now: number,
  all = true,
): SigningKeys[] {
  const rings = order.flatMap((alg) => made.get(alg) ?? [])
  return [
    ...rings.map((r) => r.current),
    ...(all ? rings.flatMap((r) => r.next ?? []) : []),
    ...rings.flatMap((r) => r.previous ?? []),
    ...(all ? rings.flatMap((r) => (r.retired ?? []).filter((k) => k.until > now).map((k) => k.keys)) : []),
  ]
}

/**
 * A ring whose access tokens' key is `initial` (its algorithm is SIGNING_ALG
 * for good); every other algorithm of ID tokens gets its own key, given or
 * made on first use. Rotations rotate every key and keep each algorithm.
 */
export function createKeyRing(initial: SigningKeys, options: KeyRingOptions = {}): KeyRing {
  const order = [initial.alg, ...ID_TOKEN_SIGNING_ALGORITHMS.filter((alg) => alg !== initial.alg)]
  let access: AlgorithmKeys = { current: initial, ...(options.previous ? { previous: options.previous } : {}) }
  const made = new Map<SigningAlgorithm, AlgorithmKeys>([[initial.alg, access]])
  for (const keys of options.others ?? []) if (!made.has(keys.current.alg)) made.set(keys.current.alg, keys)
  const making = new Map<SigningAlgorithm, Promise<SigningKeys>>()
  const now = options.now ?? Date.now
  const retainMs = options.retainMs ?? 0
  let jwks: { keys: JWK[] } = { keys: [] }
  let local = createLocalJWKSet(jwks)
  /** When the first retired key goes: /jwks is made again then. */
  let nextExpiry = Infinity
  const publish = () => {
    access = made.get(initial.alg) ?? access
    const at = now()
    jwks = { keys: publishedKeys(order, made, at).flatMap((k) => k.jwks.keys) }
    local = createLocalJWKSet(jwks)
    const untils = [...made.values()].flatMap((r) => (r.retired ?? []).map((k) => k.until).filter((u) => u > at))
    nextExpiry = Math.min(Infinity, ...untils)
  }
  const upToDate = () => {
    if (now() >= nextExpiry) publish()
  }
  publish()
  const changed = async () => options.onChange?.(publishedKeys(order, made, now(), false))
  /** What a switch leaves of `ring`'s older keys: its previous one retired, and those still live. */
  const retiredAfterSwitch = (ring: AlgorithmKeys | undefined) => {
    const at = now()
    const pushedOut = ring?.previous ? [{ keys: ring.previous, until: at + retainMs }] : []
    return [...pushedOut, ...(ring?.retired ?? [])].filter((k) => k.until > at).slice(0, MAX_RETIRED_KEYS)
  }

  function currentKeys(alg: SigningAlgorithm): Promise<SigningKeys> {
    const ring = made.get(alg)
    if (ring) return Promise.resolve(ring.current)
    let pending = making.get(alg)
    if (pending === undefined) {
      // One key per algorithm, however many requests ask for it at once; a failure is retried by the next one.
      pending = (async () => {
        const keys = await generateSigningKeys(alg)
        made.set(alg, { current: keys })
        publish()
        await changed()
        return keys
      })().finally(() => making.delete(alg))
      making.set(alg, pending)
    }
    return pending
  }

  const prepare = async () => {
    await Promise.all(order.map(currentKeys))
  }

  return {
    get alg() {
      return access.current.alg
    },
    get kid() {
      return access.current.kid
    },
    get privateKey() {
      return access.current.privateKey
    },
    get publicKey() {
      return access.current.publicKey
    },
    get jwks() {
      upToDate()
      return jwks
    },
    verificationKeys: (header, token) => {
      upToDate()
      return local(header, token)
    },
    currentKeys,
    prepare,
    async rotate({ publishFirst = false, promote = false }: RotateOptions = {}) {
      // Every algorithm has a key first, so each new one has a previous one to keep published.
      await prepare()
      const waiting = order.some((alg) => made.get(alg)?.next !== undefined)
      if (promote && !waiting) throw new NoKeyWaitingError()
      if (publishFirst && !waiting && !promote) {
        // Step one of two: published, not signing (verifiers' caches learn the kid first).
        const next = await Promise.all(order.map((alg) => generateSigningKeys(alg)))
        for (const keys of next) {
          const ring = made.get(keys.alg)
          if (ring) made.set(keys.alg, { ...ring, next: keys })
        }
        publish()
        return { kid: access.current.kid, ...(access.next ? { next: access.next.kid } : {}) }
      }
      // A next key already published becomes current; otherwise a fresh one, as before.
      const fresh = waiting ? [] : await Promise.all(order.map((alg) => generateSigningKeys(alg)))
      for (const alg of order) {
        const ring = made.get(alg)
        const current = ring?.next ?? fresh.find((k) => k.alg === alg) ?? (await generateSigningKeys(alg))
        const retired = retiredAfterSwitch(ring)
        made.set(alg, {
          current,
          ...(ring ? { previous: ring.current } : {}),
          ...(retired.length > 0 ? { retired } : {}),
        })
      }
      publish()
      await changed()
      return { kid: access.current.kid }
    },
    publishedKids: () => {
      upToDate()
      return jwks.keys.map((k) => k.kid as string)
    },
  }
}
