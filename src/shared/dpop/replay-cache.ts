// RFC 9449 §11.1: a proof is used once. Each server remembers the proofs it
// accepted until they fall out of the iat window, in a bounded map: at the
// cap the oldest entry goes first (the one closest to leaving the window
// anyway), so memory stays bounded whatever a stranger sends. Only proofs
// that passed every other check are remembered, so a stranger needs a key
// and a signature per entry.

/** Remembers proofs by key (thumbprint and jti) until their window closes. */
export interface ReplayCache {
  /** True the first time `id` is seen within its window, false for a replay; remembers it until `expiresAt` (ms). */
  firstUse(id: string, expiresAt: number, now: number): boolean
  size(): number
}

export const REPLAY_CACHE_CAP = 250_000

export function createReplayCache(cap: number = REPLAY_CACHE_CAP): ReplayCache {
  // Insertion order is the order of acceptance: the first entries are the oldest.
  const seen = new Map<string, number>()
  function dropExpired(now: number): void {
    for (const [id, expiresAt] of seen) {
      if (expiresAt > now) break
      seen.delete(id)
    }
  }
  return {
    firstUse(id, expiresAt, now) {
      const known = seen.get(id)
      if (known !== undefined && known > now) return false
      dropExpired(now)
      while (seen.size >= cap) {
        const oldest = seen.keys().next()
        if (oldest.done === true) break
        seen.delete(oldest.value)
      }
      seen.set(id, expiresAt)
      return true
    },
    size: () => seen.size,
  }
}
