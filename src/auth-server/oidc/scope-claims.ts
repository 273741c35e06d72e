// Which of a user's claims a token's scopes release (OpenID Connect Core
// §5.4): the standard scopes release their standard claims, and a scope of
// the lab's configuration may name the claims it releases (`claims`), the
// users' custom claims among them. The ID token and /userinfo both ask here.

import type { ScopeDefinition } from '../../shared/config.js'

/** OIDC Core §5.4: the claims each standard scope releases. */
export const STANDARD_SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
}

/**
 * Claims a token and its ID token state themselves (RFC 7519 §4.1, OIDC Core
 * §2): a user claim of the same name is never released in their place.
 */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'at_hash',
  'c_hash',
  'sid',
])

/** The claim names a scope releases: those its definition names, else the standard ones (none for others). */
export function claimsOfScope(definitions: readonly ScopeDefinition[], scope: string): readonly string[] {
  const defined = definitions.find((d) => d.name === scope)?.claims
  if (defined !== undefined) return defined
  return Object.hasOwn(STANDARD_SCOPE_CLAIMS, scope) ? (STANDARD_SCOPE_CLAIMS[scope] ?? []) : []
}

/** The user's claims that the granted scopes release, and only those. */
export function releasedClaims(
  granted: readonly string[],
  definitions: readonly ScopeDefinition[],
  claims: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const released: Record<string, unknown> = {}
  for (const scope of granted) {
    for (const name of claimsOfScope(definitions, scope)) {
      // OIDC Core §5.3.2: omit absent claims rather than sending null.
      if (PROTOCOL_CLAIMS.has(name) || !Object.hasOwn(claims, name)) continue
      if (claims[name] !== undefined && claims[name] !== null) released[name] = claims[name]
    }
  }
  return released
}
