// The token endpoint's grants: one line each. The endpoint dispatches through
// this registry and the RFC 8414 metadata lists what it holds.

import type { GrantType } from '../../../shared/config.js'
import type { GrantModule, TokenRequestBody } from '../grant-types.js'
import { authorizationCode } from './authorization-code.js'
import { clientCredentials } from './client-credentials.js'
import { deviceCode } from './device-code.js'
import { refreshToken } from './refresh-token.js'
import { tokenExchange } from './token-exchange.js'

// Every GrantType has its module, under its own grant_type: checked at compile time.
const REGISTRY: { readonly [G in GrantType]: GrantModule<G> } = {
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  client_credentials: clientCredentials,
  // RFC 8628 §3.4: the device authorization grant.
  'urn:ietf:params:oauth:grant-type:device_code': deviceCode,
  // RFC 8693 §2: token exchange.
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchange,
}

/** In registration order: the metadata's grant_types_supported. */
export const SUPPORTED_GRANT_TYPES: readonly GrantType[] = Object.values(REGISTRY).map((grant) => grant.grantType)

/** Narrows a request's grant_type to a grant the endpoint supports. */
export function isSupportedGrantType(value: string): value is GrantType {
  return Object.hasOwn(REGISTRY, value)
}

export function grantModule(grantType: GrantType): GrantModule {
  return REGISTRY[grantType]
}

/** What the handler sees: grant_type and the grant's own parameters (RFC 6749 §3.2: the others are ignored). */
export function grantParameters(grant: GrantModule, body: TokenRequestBody): TokenRequestBody {
  const picked: Record<string, string | undefined> = { grant_type: body.grant_type }
  for (const name of grant.parameters) if (body[name] !== undefined) picked[name] = body[name]
  return picked
}
