// Comparing a secret the request brings (a client secret, a password, state,
// a PKCE challenge) with the one expected, in time that tells nothing about
// how much of it matched.

import { createHash, timingSafeEqual } from 'node:crypto'

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/**
 * True when both strings are equal. Both are hashed first: timingSafeEqual
 * wants equal lengths, and equal-length digests also hide the expected
 * value's length.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/**
 * `constantTimeEqual` against one fixed secret, whose digest is made once:
 * for a secret checked on every request (the lab key, which the flow
 * recorder asks about for every Bearer request; a client's secret at each
 * token request), where hashing the expected value again each time was one
 * SHA-256 per request for nothing.
 */
export function secretMatcher(expected: string): (given: string) => boolean {
  const expectedDigest = digest(expected)
  return (given) => timingSafeEqual(digest(given), expectedDigest)
}
