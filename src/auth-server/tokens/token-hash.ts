import { createHash } from 'node:crypto'

/** SHA-256, base64url: refresh and opaque access tokens are stored by this, never as themselves. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
