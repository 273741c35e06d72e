// Every closed list of values the lab knows, declared once: the config
// schema, the environment and flag parsers, the README and the servers all
// read these arrays, and each TypeScript union is derived from its array.

/** JWS algorithms the authorization server signs with (RFC 9068 §2.1: asymmetric only, never `none`). */
export const SIGNING_ALGS = ['ES256', 'RS256', 'EdDSA'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

/** What the resource server accepts (RFC 9068 §4): the signing algorithms above plus PS256; never HMAC or `none`. */
export const VERIFY_ALGS = [...SIGNING_ALGS, 'PS256'] as const
export type VerifyAlg = (typeof VERIFY_ALGS)[number]

/** Grants a client may be registered for (RFC 6749 §4.1, §4.4, §6; RFC 8628 §3.4; RFC 8693 §2.1). */
export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const
export type GrantType = (typeof GRANT_TYPES)[number]

/** RFC 8628 §3.4: the device authorization grant's `grant_type`. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code' satisfies GrantType

/** RFC 8693 §2.1: the token exchange grant's `grant_type`. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange' satisfies GrantType

/** Client authentication at the token endpoint (RFC 6749 §2.3.1; `none`: a public client, RFC 8414 §2). */
export const TOKEN_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number]

/** The methods that authenticate a client with its secret (introspection needs one, RFC 7662 §2.1). */
export const SECRET_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
] as const satisfies readonly TokenAuthMethod[]

/** Access tokens: RFC 9068 JWTs, or opaque strings only the authorization server can read (RFC 7662). */
export const ACCESS_TOKEN_FORMATS = ['jwt', 'opaque'] as const
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number]

/** How the resource server checks a token: locally against the JWKS, or by introspection. */
export const TOKEN_CHECKS = ['jwt', 'introspect'] as const
export type TokenCheck = (typeof TOKEN_CHECKS)[number]

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Where the authorization server keeps its state (STORE). */
export const STORE_KINDS = ['memory', 'sqlite'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

/** The values of a switch in the environment (INSPECTOR, LAB_ADMIN, LOGIN_HINT). */
export const ON_OFF = ['on', 'off'] as const
export type OnOff = (typeof ON_OFF)[number]

/** Whether `value` is one of `values`, narrowing it to their union. */
export function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value)
}
