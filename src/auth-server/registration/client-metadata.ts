// Client metadata (RFC 7591 §2), as a client sends it to POST /register or
// publishes it in a Client ID Metadata Document: checked field by field, then
// turned into the lab's own client input, the same shape a config file's
// client has (normaliseClient fills in the rest).

import type { ClientInput } from '../../shared/builtin-data.js'
import type { ScopeDefinition } from '../../shared/config.js'
import { isOneOf, type GrantType, type TokenAuthMethod } from '../../shared/enumerations.js'

/** RFC 7591 §3.2.2: the two error codes of client registration. */
export type RegistrationErrorCode = 'invalid_redirect_uri' | 'invalid_client_metadata'

export class RegistrationError extends Error {
  override name = 'RegistrationError'
  constructor(
    readonly error: RegistrationErrorCode,
    readonly description: string,
  ) {
    super(description)
  }
}

/** The metadata the lab keeps and answers with (RFC 7591 §3.2.1); unknown fields are ignored (§2). */
export interface ClientMetadata {
  readonly redirect_uris: readonly string[]
  readonly token_endpoint_auth_method: TokenAuthMethod
  readonly grant_types: readonly GrantType[]
  readonly response_types: readonly string[]
  readonly scope: string
  readonly client_name?: string
  /** Kept as text only: never fetched, never shown as a link or an image. */
  readonly client_uri?: string
  readonly logo_uri?: string
}

const MAX_REDIRECT_URIS = 10
const MAX_URI_LENGTH = 2048
const MAX_NAME_LENGTH = 200
const REGISTRABLE_GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials']
/** Methods a registered client may choose (RFC 7591 §2); private_key_jwt is not supported by the lab. */
const REGISTRABLE_AUTH_METHODS: readonly TokenAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post']

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

const bad = (description: string) => new RegistrationError('invalid_client_metadata', description)
const badRedirect = (description: string) => new RegistrationError('invalid_redirect_uri', description)

/**
 * One redirect URI (RFC 7591 §2, RFC 6749 §3.1.2, RFC 8252 §7): absolute,
 * no fragment; https anywhere; plain http only on a loopback host (127.0.0.1,
 * [::1] or localhost, any port: RFC 8252 §7.3); a private-use scheme named
 * after a reverse domain (com.example.app:/cb, RFC 8252 §7.1) only for a
 * public client (§8.4). Anything else (http elsewhere, javascript:, data:) is
 * refused.
 */
export function redirectUriProblem(raw: string, publicClient: boolean): string | undefined {
  if (raw.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not an absolute URL (RFC 6749 section 3.1.2)'
  }
  if (raw.includes('#')) return 'has a fragment (RFC 6749 section 3.1.2)'
  if (url.username !== '' || url.password !== '') return 'carries a user name or password'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:') {
    if (LOOPBACK_HOSTS.has(url.hostname)) return undefined
    return 'is plain http on a host that is not loopback: use https, or http://127.0.0.1, http://[::1] or http://localhost with a port (RFC 8252 section 7.3)'
  }
  if (!/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol))
    return 'has a scheme that is neither https, loopback http, nor a private-use scheme named after a reverse domain such as com.example.app (RFC 8252 section 7.1)'
  if (!publicClient)
    return 'uses a private-use scheme, which is for native apps, public clients only: register with token_endpoint_auth_method "none" (RFC 8252 sections 7.1 and 8.4)'
  return undefined
}

/** A field left out, or sent as null (as some client libraries do for optional fields): absent. */
function field(body: Record<string, unknown>, name: string): unknown {
  const value = body[name]
  return value === null ? undefined : value
}

function stringList(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = field(body, name)
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string'))
    throw bad(`${name} must be an array of strings.`)
  return value
}

function optionalText(body: Record<string, unknown>, name: string, max: number): string | undefined {
  const value = field(body, name)
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > max)
    throw bad(`${name} must be a string of at most ${max} characters.`)
  return value
}

function readAuthMethod(body: Record<string, unknown>, fallback: TokenAuthMethod): TokenAuthMethod {
  const value = field(body, 'token_endpoint_auth_method') ?? fallback
  if (typeof value !== 'string') throw bad('token_endpoint_auth_method must be a string.')
  if (value === 'private_key_jwt' || value === 'client_secret_jwt')
    throw bad(
      `token_endpoint_auth_method "${value}" is not supported by this lab: use none (with PKCE), client_secret_basic or client_secret_post.`,
    )
  if (!isOneOf(REGISTRABLE_AUTH_METHODS, value))
    throw bad('token_endpoint_auth_method must be none, client_secret_basic or client_secret_post.')
  return value
}

function readGrantTypes(body: Record<string, unknown>, method: TokenAuthMethod): GrantType[] {
  // RFC 7591 §2: omitted, grant_types defaults to authorization_code.
  const grants = stringList(body, 'grant_types') ?? ['authorization_code']
  const unknown = grants.filter((g) => !isOneOf(REGISTRABLE_GRANTS, g))
  if (unknown.length > 0)
    throw bad(
      `grant_types may only hold authorization_code, refresh_token and client_credentials, not: ${unknown.join(', ')}.`,
    )
  if (grants.length === 0) throw bad('grant_types must not be empty.')
  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  if (method === 'none' && grants.includes('client_credentials'))
    throw bad(
      'client_credentials needs a confidential client: a public one (token_endpoint_auth_method "none") cannot use it.',
    )
  return [...new Set(grants)] as GrantType[]
}

function readResponseTypes(body: Record<string, unknown>, grants: readonly GrantType[]): string[] {
  // RFC 7591 §2: omitted, response_types defaults to code.
  const types = stringList(body, 'response_types') ?? (grants.includes('authorization_code') ? ['code'] : [])
  if (types.some((t) => t !== 'code')) throw bad('response_types may only hold "code".')
  // RFC 7591 §2.1: grant_types and response_types must agree.
  if (types.includes('code') !== grants.includes('authorization_code'))
    throw bad('response_types "code" and grant_types "authorization_code" go together (RFC 7591 section 2.1).')
  return types.length > 0 ? ['code'] : []
}

function readScope(body: Record<string, unknown>, scopes: readonly ScopeDefinition[]): string {
  const value = field(body, 'scope')
  const defined = scopes.map((s) => s.name)
  // RFC 7591 §2: omitted (or empty, RFC 6749 §3.1), the server registers a default: every scope the lab defines.
  if (value === undefined || value === '') return defined.join(' ')
  if (typeof value !== 'string') throw bad('scope must be a space-separated string.')
  const asked = value.split(' ').filter(Boolean)
  const unknown = asked.filter((s) => !defined.includes(s))
  if (unknown.length > 0)
    throw bad(`scope may only hold scopes this server defines (${defined.join(', ')}), not: ${unknown.join(', ')}.`)
  // RFC 7591 §3.2.1 lets a server replace a requested value: the client is
  // registered for every scope the lab defines, because MCP clients register
  // with the scope of their first 401 challenge and later step up (MCP
  // authorization, "Scope Challenge Handling") without registering again.
  // The answer's `scope` says so; what a token gets is still what is asked and consented.
  return defined.join(' ')
}

/**
 * Checks a registration request's body (RFC 7591 §2) and answers the metadata
 * the lab registers, with defaults filled in; a RegistrationError otherwise.
 * `defaultAuthMethod`: RFC 7591 §2 says client_secret_basic.
 */
export function readClientMetadata(
  raw: unknown,
  scopes: readonly ScopeDefinition[],
  defaultAuthMethod: TokenAuthMethod = 'client_secret_basic',
): ClientMetadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('The body must be a JSON object.')
  const body = raw as Record<string, unknown>
  const method = readAuthMethod(body, defaultAuthMethod)
  const grants = readGrantTypes(body, method)
  const responseTypes = readResponseTypes(body, grants)
  const redirectUris = stringList(body, 'redirect_uris') ?? []
  // RFC 7591 §2: redirect-based grants need redirect URIs.
  if (grants.includes('authorization_code') && redirectUris.length === 0)
    throw badRedirect('redirect_uris is required for the authorization_code grant (RFC 7591 section 2).')
  if (redirectUris.length > MAX_REDIRECT_URIS) throw badRedirect(`At most ${MAX_REDIRECT_URIS} redirect_uris.`)
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri, method === 'none')
    if (problem !== undefined) throw badRedirect(`The redirect URI "${uri.slice(0, 200)}" ${problem}.`)
  }
  const clientName = optionalText(body, 'client_name', MAX_NAME_LENGTH)
  const clientUri = optionalText(body, 'client_uri', MAX_URI_LENGTH)
  const logoUri = optionalText(body, 'logo_uri', MAX_URI_LENGTH)
  return {
    redirect_uris: [...new Set(redirectUris)],
    token_endpoint_auth_method: method,
    grant_types: grants,
    response_types: responseTypes,
    scope: readScope(body, scopes),
    ...(clientName === undefined ? {} : { client_name: clientName }),
    ...(clientUri === undefined ? {} : { client_uri: clientUri }),
    ...(logoUri === undefined ? {} : { logo_uri: logoUri }),
  }
}

/** The lab's client input for registered metadata: what normaliseClient turns into a registration. */
export function clientInputOf(clientId: string, metadata: ClientMetadata, clientSecret?: string): ClientInput {
  const confidential = metadata.token_endpoint_auth_method !== 'none'
  return {
    clientId,
    ...(confidential && clientSecret !== undefined ? { clientSecret } : {}),
    name: metadata.client_name ?? clientId,
    redirectUris: metadata.redirect_uris,
    scopes: metadata.scope.split(' ').filter(Boolean),
    tokenEndpointAuthMethods: [metadata.token_endpoint_auth_method],
    grantTypes: metadata.grant_types,
    // RFC 9700 §2.1.1: public clients must use PKCE.
    requirePkce: !confidential,
  }
}
