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
