import { nanoid } from 'nanoid'

// RFC 6749 §10.10: the chance of guessing a code or token SHOULD be at most
// 2^-160. nanoid's alphabet has 64 symbols (6 bits each), so 43 characters
// carry 258 bits: codes, tokens, CSRF secrets, session ids and state.
const SECRET_LENGTH = 43

/** An unguessable, URL-safe value of 258 random bits. */
export function randomSecret(): string {
  return nanoid(SECRET_LENGTH)
}

/** A unique identifier that need not be secret (jti, flow ids). */
export function randomId(): string {
  return nanoid()
}
