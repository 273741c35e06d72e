// The lab's built-in clients, users and scopes, and the one function that
// turns a client or user as written (in a config file, in startLab options,
// or here) into its registration with every default filled in.

import type {
  ClientRegistration,
  ResourceRegistration,
  ScopeDefinition,
  TokenExchangePolicy,
  UserAccount,
} from './config-types.js'
import { defaultWebOrigins } from './cors.js'
import {
  DEVICE_CODE_GRANT,
  GRANT_TYPES,
  SECRET_AUTH_METHODS,
  TOKEN_EXCHANGE_GRANT,
  type AccessTokenFormat,
  type GrantType,
  type SigningAlg,
  type TokenAuthMethod,
} from './enumerations.js'

/** A client as written: only `clientId` is needed, normaliseClient fills in the rest. */
export interface ClientInput {
  readonly $comment?: string
  readonly clientId: string
  readonly clientSecret?: string
  readonly name?: string
  readonly redirectUris?: readonly string[]
  readonly postLogoutRedirectUris?: readonly string[]
  readonly webOrigins?: readonly string[]
  readonly scopes?: readonly string[]
  readonly tokenEndpointAuthMethods?: readonly TokenAuthMethod[]
  readonly grantTypes?: readonly GrantType[]
  readonly requirePkce?: boolean
  readonly introspectionOnly?: boolean
  readonly accessTokenFormat?: AccessTokenFormat
  readonly idTokenSignedResponseAlg?: SigningAlg
  readonly requirePushedAuthorizationRequests?: boolean
  readonly requireDpop?: boolean
  readonly tokenExchange?: TokenExchangePolicy
}

/** A user as written: `sub` defaults to the username. */
export interface UserInput {
  readonly $comment?: string
  readonly username: string
  readonly password: string
  readonly sub?: string
  readonly claims?: Readonly<Record<string, unknown>>
}

/** The client app's credentials: the book's Basic header decodes to these. */
export const BUILTIN_CLIENT_ID = 'oauth-client-1'
export const BUILTIN_CLIENT_SECRET = 'oauth-client-secret-1'
export const BUILTIN_PUBLIC_CLIENT_ID = 'oauth-client-public'
export const BUILTIN_RESOURCE_CLIENT_ID = 'oauth-resource-1'
export const BUILTIN_RESOURCE_CLIENT_SECRET = 'oauth-resource-secret-1'
/** The scope the resource server requires for GET /resource. */
export const REQUIRED_SCOPE = 'foo'
export const BUILTIN_CLIENT_APP_SCOPE = 'foo bar'

export const BUILTIN_SCOPES: readonly ScopeDefinition[] = [
  { name: 'foo', description: 'Read your foo resource on the resource server.' },
  { name: 'bar', description: 'Read and change your bar settings.' },
]

/**
 * OpenID Connect scopes (OIDC Core §5.4): any client may ask for them; they
 * are not resource scopes, so they are kept apart from the registry above.
 */
export const OIDC_SCOPES: readonly ScopeDefinition[] = [
  { name: 'openid', description: 'Sign you in to the client with your identity (an ID token).' },
  { name: 'profile', description: 'Share your name with the client.' },
  { name: 'email', description: 'Share your email address with the client.' },
]

export const BUILTIN_USERS: readonly UserAccount[] = [
  {
    username: 'alice',
    password: 'alice-password',
    sub: 'alice',
    claims: {
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.test',
      email_verified: true,
    },
  },
  {
    username: 'bob',
    password: 'bob-password',
    sub: 'bob',
    claims: {
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      email: 'bob@example.test',
      email_verified: true,
    },
  },
]

/**
 * The built-in clients as written; their redirect URIs follow the client app's
 * public URL, and oauth-client-1's token exchange audience (RFC 8693) the
 * resource server's.
 */
export function builtinClientInputs(clientPublicUrl: string, resourcePublicUrl = ''): ClientInput[] {
  const app = {
    redirectUris: [`${clientPublicUrl}/authenticated`],
    postLogoutRedirectUris: [`${clientPublicUrl}/`],
    scopes: ['foo', 'bar'],
  }
  return [
    {
      clientId: BUILTIN_CLIENT_ID,
      clientSecret: BUILTIN_CLIENT_SECRET,
      name: 'OAuth Client 1',
      ...app,
      // RFC 8693: it may also act as an API that exchanges a user's token for
      // one for the built-in MCP server (its only exchange audience).
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT],
      tokenExchange: { audiences: [`${resourcePublicUrl}${MCP_PATH}`] },
    },
    {
      clientId: BUILTIN_PUBLIC_CLIENT_ID,
      name: 'OAuth Public Client',
      ...app,
      // RFC 8628: the lab's device (a TV, a CLI) is this public client.
      grantTypes: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT],
    },
    {
      clientId: BUILTIN_RESOURCE_CLIENT_ID,
      clientSecret: BUILTIN_RESOURCE_CLIENT_SECRET,
      name: 'Resource Server',
      redirectUris: [],
      scopes: [],
      grantTypes: [],
      introspectionOnly: true,
    },
  ]
}

export function builtinClients(clientPublicUrl: string, resourcePublicUrl = ''): ClientRegistration[] {
  return builtinClientInputs(clientPublicUrl, resourcePublicUrl).map(normaliseClient)
}

/** A client with the defaults the config-file reference documents filled in. */
export function normaliseClient(c: ClientInput): ClientRegistration {
  const confidential = c.clientSecret !== undefined
  return {
    clientId: c.clientId,
    ...(confidential ? { clientSecret: c.clientSecret } : {}),
    name: c.name ?? c.clientId,
    redirectUris: c.redirectUris ?? [],
    ...(c.postLogoutRedirectUris ? { postLogoutRedirectUris: c.postLogoutRedirectUris } : {}),
    // Where a browser app of this client runs: by default, where it is redirected to.
    webOrigins: c.webOrigins ?? defaultWebOrigins(c.redirectUris ?? []),
    scopes: c.scopes ?? [],
    tokenEndpointAuthMethods: c.tokenEndpointAuthMethods ?? (confidential ? SECRET_AUTH_METHODS : ['none']),
    // RFC 6749 §4.4: client_credentials is for confidential clients only; the
    // device grant (RFC 8628) and token exchange (RFC 8693) only where a client
    // is registered for them.
    grantTypes:
      c.grantTypes ??
      GRANT_TYPES.filter(
        (g) => (confidential || g !== 'client_credentials') && g !== DEVICE_CODE_GRANT && g !== TOKEN_EXCHANGE_GRANT,
      ),
    // RFC 9700 §2.1.1: public clients must use PKCE.
    requirePkce: c.requirePkce ?? !confidential,
    ...(c.introspectionOnly === undefined ? {} : { introspectionOnly: c.introspectionOnly }),
    ...(c.accessTokenFormat === undefined ? {} : { accessTokenFormat: c.accessTokenFormat }),
    ...(c.idTokenSignedResponseAlg === undefined ? {} : { idTokenSignedResponseAlg: c.idTokenSignedResponseAlg }),
    ...(c.requirePushedAuthorizationRequests === undefined
      ? {}
      : { requirePushedAuthorizationRequests: c.requirePushedAuthorizationRequests }),
    ...(c.requireDpop === undefined ? {} : { requireDpop: c.requireDpop }),
    ...(c.tokenExchange === undefined ? {} : { tokenExchange: { audiences: c.tokenExchange.audiences } }),
  }
}

export function normaliseUser(u: UserInput): UserAccount {
  return {
    username: u.username,
    password: u.password,
    sub: u.sub ?? u.username,
    ...(u.claims ? { claims: u.claims } : {}),
  }
}

/**
 * The registered clients: `clients` (if given) replace the built-in ones, but
 * the resource server's introspection client stays unless `clients` lists it;
 * `extra` come after, beside whichever those are.
 */
export function registeredClients(
  clients: readonly ClientInput[] | undefined,
  extra: readonly ClientInput[],
  clientPublicUrl: string,
  resourcePublicUrl = '',
): ClientInput[] {
  const builtin = builtinClientInputs(clientPublicUrl, resourcePublicUrl)
  const own = clients ?? builtin.filter((c) => c.clientId !== BUILTIN_RESOURCE_CLIENT_ID)
  const keep = builtin.filter(
    (c) => c.clientId === BUILTIN_RESOURCE_CLIENT_ID && !own.some((o) => o.clientId === c.clientId),
  )
  return [...own, ...keep, ...extra]
}

/** A resource server as written (RFC 8707): only `identifier` and `scopes` are needed. */
export interface ResourceInput {
  readonly $comment?: string
  readonly identifier: string
  readonly scopes: readonly string[]
  readonly name?: string
}

/** Where the resource server serves its MCP endpoint: its identifier is the public URL plus this path. */
export const MCP_PATH = '/mcp'

/**
 * The built-in resource servers: the one at RESOURCE_PUBLIC_URL (the default
 * audience, the `aud` of every token that names no resource) and its MCP
 * endpoint. Their scopes are the built-in ones that `scopes` still defines.
 */
export function builtinResourceInputs(resourcePublicUrl: string, scopes: readonly ScopeDefinition[]): ResourceInput[] {
  const defined = new Set(scopes.map((s) => s.name))
  const served = BUILTIN_SCOPES.map((s) => s.name).filter((s) => defined.has(s))
  return [
    { identifier: resourcePublicUrl, scopes: served, name: 'Built-in resource server' },
    { identifier: `${resourcePublicUrl}${MCP_PATH}`, scopes: served, name: 'MCP server' },
  ]
}

export function normaliseResource(r: ResourceInput): ResourceRegistration {
  return { identifier: r.identifier, scopes: r.scopes, name: r.name ?? r.identifier }
}

/**
 * The registered resource servers: `resources` (if given) replace the
 * built-in ones, but the built-in resource server stays unless `resources`
 * lists its identifier: it is the audience of every token that names none.
 */
export function registeredResources(
  resources: readonly ResourceInput[] | undefined,
  resourcePublicUrl: string,
  scopes: readonly ScopeDefinition[],
): ResourceInput[] {
  const builtin = builtinResourceInputs(resourcePublicUrl, scopes)
  if (resources === undefined) return builtin
  const keep = builtin.filter(
    (r) => r.identifier === resourcePublicUrl && !resources.some((o) => o.identifier === r.identifier),
  )
  return [...resources, ...keep]
}
