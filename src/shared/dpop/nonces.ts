// RFC 9449 §8 (authorization server) and §9 (resource server): a server may
// require proofs to carry a nonce it chose, which bounds how long a proof
// made ahead of time stays usable. Each server has its own nonces; the
// current one rotates every `rotateMs`, and the previous one is still
// accepted so that a client that just learned it is not refused.

import { randomSecret } from '../random.js'

export interface NonceSource {
  /** The nonce to hand out now (the `DPoP-Nonce` header). */
  current(): string
  /** True for the current nonce and the one before it. */
  accepts(nonce: string): boolean
}

/** Five minutes: long enough for a flow, short enough that a stolen proof soon dies. */
export const NONCE_ROTATION_MS = 5 * 60 * 1000

export function createNonceSource(now: () => number, rotateMs: number = NONCE_ROTATION_MS): NonceSource {
  let current = randomSecret()
  let previous: string | undefined
  let since = now()
  function rotate(): void {
    const elapsed = now() - since
    if (elapsed < rotateMs) return
    // Two periods or more without a request: both the old nonces are stale.
    previous = elapsed < 2 * rotateMs ? current : undefined
    current = randomSecret()
    since = now()
  }
  return {
    current() {
      rotate()
      return current
    },
    accepts(nonce) {
      rotate()
      return nonce === current || (previous !== undefined && nonce === previous)
    },
  }
}
