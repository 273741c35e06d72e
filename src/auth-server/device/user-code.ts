// User codes of the device grant (RFC 8628 §6.1): short, easy to read and to
// type on a phone. Eight characters from twenty consonants (no vowels, so no
// words; no digits or look-alikes), shown as BCDF-GHJK: 20^8 ≈ 2^34.6 codes,
// which the verification page's rate limit (RFC 8628 §5.1) makes enough.

import { randomInt } from 'node:crypto'

/** RFC 8628 §6.1's example character set: base-20, consonants only. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
export const USER_CODE_LENGTH = 8

/** A fresh user code, normalised (no dash). */
export function newUserCode(): string {
  let code = ''
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]
  return code
}

/** As the user sees it: BCDF-GHJK. */
export function displayUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

/**
 * What the user typed, as stored: RFC 8628 §6.1 compares without case and
 * ignores the dash (and spaces); undefined when it cannot be a user code.
 */
export function normaliseUserCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, '')
  if (code.length !== USER_CODE_LENGTH) return undefined
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return undefined
  return code
}
