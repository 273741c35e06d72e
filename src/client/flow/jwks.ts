// The authorization server's public keys, fetched by the inspector to check
// access-token signatures. Tagged with x-oauth-lab-inspector so this fetch is
// never mistaken for the resource server's own (step 7).

import type { JSONWebKeySet } from 'jose'
import { INSPECTOR_HEADER } from './http.js'

export type Fetch = typeof globalThis.fetch

export interface JwksSource {
  /** The key set, refetched when stale or when it lacks `kid` (keys rotate, servers restart). */
  get(kid?: string): Promise<JSONWebKeySet | undefined>
}

const MAX_AGE_MS = 60_000

export function createJwksSource(fetchFn: Fetch, url: string, now: () => number = Date.now): JwksSource {
  let cached: { keys: JSONWebKeySet; at: number } | undefined
  const usable = (kid?: string) =>
    cached !== undefined &&
    now() - cached.at < MAX_AGE_MS &&
    (kid === undefined || cached.keys.keys.some((k) => k.kid === kid))
  return {
    async get(kid) {
      if (usable(kid)) return cached!.keys
      try {
        const response = await fetchFn(url, {
          headers: { accept: 'application/json', [INSPECTOR_HEADER]: 'jwks' },
          signal: AbortSignal.timeout(2000),
        })
        const body = (await response.json()) as JSONWebKeySet
        if (!response.ok || !Array.isArray(body.keys)) return cached?.keys
        cached = { keys: body, at: now() }
        return body
      } catch {
        return cached?.keys
      }
    },
  }
}
