import { sha256Base64url } from '../../shared/sha256.js'

/** SHA-256, base64url: refresh and opaque access tokens are stored by this, never as themselves. */
export function hashToken(token: string): string {
  return sha256Base64url(token)
}
