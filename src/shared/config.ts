// Every default of ../shared/CONTRACT.md lives here, and this is the only module
// that reads the environment. A bad value stops the process with one line that
// names the variable (see `ConfigError`).

import { randomBytes } from 'node:crypto'
import { ConfigError, configErrorLines } from './config-error.js'
import { readConfigFile } from './config-file.js'
import { flagEnv, parseLabFlags, UsageError, usageErrorLine, type LabFlags } from './args.js'
import { LOG_LEVELS, type FileClient, type FileConfig } from './config-schema.js'

export { ConfigError, ConfigFileError } from './config-error.js'

export type TokenAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none'
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials'

export interface ClientRegistration {
  readonly clientId: string
  /** Absent for public clients. */
  readonly clientSecret?: string
  readonly name: string
  /** Compared by exact string match (RFC 6749 §3.1.2.3, RFC 9700 §2.1). */
  readonly redirectUris: readonly string[]
  /** Where OpenID Connect RP-initiated logout may send the browser afterwards (exact match). */
  readonly postLogoutRedirectUris?: readonly string[]
  readonly scopes: readonly string[]
  readonly tokenEndpointAuthMethods: readonly TokenAuthMethod[]
  readonly grantTypes: readonly GrantType[]
  /** Public clients must use PKCE (RFC 9700 §2.1.1); others may. */
  readonly requirePkce: boolean
  /** A client that may only call the introspection endpoint (the resource server). */
  readonly introspectionOnly?: boolean
  /**
   * Its access tokens: RFC 9068 JWTs (default) or opaque random strings that
   * only the authorization server can read (checked by RFC 7662 introspection).
   */
  readonly accessTokenFormat?: 'jwt' | 'opaque'
}

export interface UserAccount {
  readonly username: string
  readonly password: string
  /** The user's subject identifier; CONTRACT.md: the username. */
  readonly sub: string
  /** OpenID Connect claims (name, email, …) released by the profile and email scopes. */
  readonly claims?: Readonly<Record<string, unknown>>
}

export interface ScopeDefinition {
  readonly name: string
  readonly description: string
}

export interface AuthServerConfig {
  readonly port: number
  /** The issuer: what browsers use and what every token and response names. */
  readonly publicUrl: string
  /** What the other servers use to reach this one (back channel). */
  readonly internalUrl: string
  readonly codeTtlSeconds: number
  readonly accessTokenTtlSeconds: number
  /** The JWS algorithm of access tokens (RFC 9068 §2.1: asymmetric). */
  readonly signingAlg: 'ES256' | 'RS256' | 'EdDSA'
  /** A refresh token unused this long expires (RFC 9700 §4.14.2: expire after inactivity). */
  readonly refreshTokenTtlSeconds: number
  readonly sessionSecret: string
  readonly sessionTtlSeconds: number
  /** Tests only: sign every browser in as this user and consent for them (no forms). */
  readonly autoLogin?: string
  /** Tests only: sign the browser in as the user named by `login_hint`, if one exists. */
  readonly honourLoginHint: boolean
  /** Tests only (LAB_ADMIN=on): the scenarios admin route /_lab/scenarios. Off by default. */
  readonly labAdmin?: boolean
  /** Where the server's state lives (STORE): in memory (default), or durable in a SQLite file. */
  readonly store?: AuthStoreConfig
}

export type AuthStoreConfig = { readonly kind: 'memory' } | { readonly kind: 'sqlite'; readonly path: string }

export interface ResourceServerConfig {
  readonly port: number
  /** Its identifier: the `aud` of every access token (RFC 9068 §3). */
  readonly publicUrl: string
  readonly internalUrl: string
  readonly tokenCheck: 'jwt' | 'introspect'
  readonly requiredScope: string
  readonly introspectionClientId: string
  readonly introspectionClientSecret: string
}

export interface ClientAppConfig {
  readonly port: number
  readonly publicUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scope: string
  readonly sessionSecret: string
  readonly sessionTtlSeconds: number
}

export interface InspectorConfig {
  /** Record every exchange for the flow inspector (GET /flow on the client). */
  readonly enabled: boolean
  /** How many exchanges each server keeps (a ring: memory stays bounded). */
  readonly capacity: number
}

export interface LabConfig {
  /** Bind address of all three servers; 0.0.0.0 in containers. */
  readonly host: string
  readonly logLevel: string
  /** The lab runs on plain http (no TLS): see the README's "Lab-wide deviation". */
  readonly allowInsecureHttp: boolean
  readonly inspector: InspectorConfig
  readonly auth: AuthServerConfig
  readonly resource: ResourceServerConfig
  readonly client: ClientAppConfig
  readonly clients: readonly ClientRegistration[]
  readonly users: readonly UserAccount[]
  readonly scopes: readonly ScopeDefinition[]
  /**
   * The lab's secret (LAB_KEY): minting tokens, scenarios, every server's
   * recorded traffic and every browser's flows in the inspector need it.
   * Random (256 bits) at each start unless set; the launcher hands one key to
   * all three processes.
   */
  readonly labKey: string
  /** More `host:port` values every server answers to (ALLOWED_HOSTS), besides its own URLs and loopback names. */
  readonly allowedHosts: readonly string[]
}

export const DEFAULTS = {
  host: '127.0.0.1',
  logLevel: 'info',
  authPort: 9001,
  resourcePort: 9002,
  clientPort: 3000,
  /** RFC 6749 §4.1.2: short-lived; CONTRACT.md: 60 s, configurable up to 600 s. */
  codeTtlSeconds: 60,
  maxCodeTtlSeconds: 600,
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 24 * 3600,
  sessionTtlSeconds: 8 * 3600,
  resourceTokenCheck: 'jwt',
  requiredScope: 'foo',
  inspectorCapacity: 2000,
} as const

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

/** The client app's credentials: the seed's Basic header decodes to these. */
export const BUILTIN_CLIENT_ID = 'oauth-client-1'
export const BUILTIN_CLIENT_SECRET = 'oauth-client-secret-1'
export const BUILTIN_RESOURCE_CLIENT_ID = 'oauth-resource-1'
export const BUILTIN_RESOURCE_CLIENT_SECRET = 'oauth-resource-secret-1'

export function builtinClients(clientPublicUrl: string): ClientRegistration[] {
  const redirectUri = `${clientPublicUrl}/authenticated`
  return [
    {
      clientId: BUILTIN_CLIENT_ID,
      clientSecret: BUILTIN_CLIENT_SECRET,
      name: 'OAuth Client 1',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [`${clientPublicUrl}/`],
      scopes: ['foo', 'bar'],
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      requirePkce: false,
    },
    {
      clientId: 'oauth-client-public',
      name: 'OAuth Public Client',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [`${clientPublicUrl}/`],
      scopes: ['foo', 'bar'],
      tokenEndpointAuthMethods: ['none'],
      grantTypes: ['authorization_code', 'refresh_token'],
      requirePkce: true,
    },
    {
      clientId: BUILTIN_RESOURCE_CLIENT_ID,
      clientSecret: BUILTIN_RESOURCE_CLIENT_SECRET,
      name: 'Resource Server',
      redirectUris: [],
      scopes: [],
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
      grantTypes: [],
      requirePkce: false,
      introspectionOnly: true,
    },
  ]
}

type Env = Readonly<Record<string, string | undefined>>

function read(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

function readPort(env: Env, name: string, fallback: number): number {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  const port = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${name}=${raw} is not a port number (0-65535)`)
  }
  return port
}

function readInteger(env: Env, name: string, fallback: number, what: string, max: number): number {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new ConfigError(`${name}=${raw} is not a whole number of ${what} from 1 to ${max}`)
  }
  return value
}

function readSeconds(env: Env, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  return readInteger(env, name, fallback, 'seconds', max)
}

/** A URL without trailing slash, query or fragment, so `${url}/path` is always right. */
export function readUrl(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name}=${raw} is not a URL (expected e.g. http://localhost:9001)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name}=${raw} must be an http or https URL`)
  }
  // RFC 8414 §2 / RFC 9207 §2: the issuer has no query or fragment.
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${name}=${raw} must not have a query, fragment or credentials`)
  }
  return url.href.replace(/\/+$/, '')
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${raw} must be one of: ${choices.join(', ')}`)
  }
  return raw as T
}

function readSecret(env: Env, name: string): string {
  const raw = read(env, name)
  // @fastify/session needs at least 32 characters; a random one means sessions
  // end with the process, which is what a lab wants unless told otherwise.
  if (raw === undefined) return randomBytes(32).toString('base64url')
  if (raw.length < 32) throw new ConfigError(`${name} must be at least 32 characters long`)
  return raw
}

/** LAB_KEY: at least 128 bits of a person's choosing (22 characters or more), or random. */
function readLabKey(env: Env): string {
  const raw = read(env, 'LAB_KEY')
  if (raw === undefined) return randomBytes(32).toString('base64url')
  if (raw.length < 22 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('LAB_KEY must be at least 22 printable characters without spaces (128 bits or more)')
  }
  return raw
}

/** ALLOWED_HOSTS: comma-separated host:port values, e.g. `lab.local:3000,192.0.2.10:9001`. */
function readAllowedHosts(env: Env): string[] {
  const raw = read(env, 'ALLOWED_HOSTS')
  if (raw === undefined) return []
  return raw.split(',').map((entry) => {
    const host = entry.trim().toLowerCase()
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/.test(host)) {
      throw new ConfigError(`ALLOWED_HOSTS entry "${entry.trim()}" is not host:port (e.g. lab.local:3000)`)
    }
    return host
  })
}

/** STORE: `memory` (default) or `sqlite:<path>`. */
function readStore(env: Env): AuthStoreConfig {
  const raw = read(env, 'STORE')
  if (raw === undefined || raw === 'memory') return { kind: 'memory' }
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length)
    return { kind: 'sqlite', path: raw.slice('sqlite:'.length) }
  throw new ConfigError(`STORE=${raw} must be memory or sqlite:<path> (e.g. sqlite:./data/oauth-lab.db)`)
}

export interface LoadOptions {
  /** A config file (JSON or YAML): its values sit between the defaults and the environment. */
  readonly file?: string
}

/** A file client with the defaults CONFIG_SCHEMA documents filled in. */
function fromFileClient(c: FileClient): ClientRegistration {
  const confidential = c.clientSecret !== undefined
  return {
    clientId: c.clientId,
    ...(confidential ? { clientSecret: c.clientSecret } : {}),
    name: c.name ?? c.clientId,
    redirectUris: c.redirectUris ?? [],
    ...(c.postLogoutRedirectUris ? { postLogoutRedirectUris: c.postLogoutRedirectUris } : {}),
    scopes: c.scopes ?? [],
    tokenEndpointAuthMethods:
      c.tokenEndpointAuthMethods ?? (confidential ? ['client_secret_basic', 'client_secret_post'] : ['none']),
    grantTypes:
      c.grantTypes ??
      (confidential
        ? ['authorization_code', 'refresh_token', 'client_credentials']
        : ['authorization_code', 'refresh_token']),
    requirePkce: c.requirePkce ?? !confidential,
    ...(c.introspectionOnly === undefined ? {} : { introspectionOnly: c.introspectionOnly }),
    ...(c.accessTokenFormat === undefined ? {} : { accessTokenFormat: c.accessTokenFormat }),
  }
}

/** The file's clients replace the built-in ones, but the resource server's introspection client stays unless the file defines it. */
function registeredClients(file: FileConfig, clientPublicUrl: string): ClientRegistration[] {
  const builtin = builtinClients(clientPublicUrl)
  if (!file.clients) return builtin
  const own = file.clients.map(fromFileClient)
  const keep = builtin.filter(
    (c) => c.clientId === BUILTIN_RESOURCE_CLIENT_ID && !own.some((o) => o.clientId === c.clientId),
  )
  return [...own, ...keep]
}

function fileUsers(file: FileConfig): readonly UserAccount[] {
  if (!file.users) return BUILTIN_USERS
  return file.users.map((u) => ({
    username: u.username,
    password: u.password,
    sub: u.sub ?? u.username,
    ...(u.claims ? { claims: u.claims } : {}),
  }))
}

/**
 * Builds the whole lab configuration: built-in defaults, then the config file
 * (if `options.file`), then environment variables (see the README's
 * "Configuration"). Throws `ConfigError` on a bad value; `ConfigFileError`
 * lists every problem of the file.
 */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): LabConfig {
  const file: FileConfig = options.file === undefined ? {} : readConfigFile(options.file)
  const authPort = readPort(env, 'AUTH_PORT', file.ports?.auth ?? DEFAULTS.authPort)
  const resourcePort = readPort(env, 'RESOURCE_PORT', file.ports?.resource ?? DEFAULTS.resourcePort)
  const clientPort = readPort(env, 'CLIENT_PORT', file.ports?.client ?? DEFAULTS.clientPort)
  const clientPublicUrl = readUrl(env, 'CLIENT_PUBLIC_URL', file.urls?.clientPublic ?? `http://localhost:${clientPort}`)
  const requiredScope = DEFAULTS.requiredScope
  const lifetimes = file.lifetimes ?? {}
  const sessionTtlSeconds = readSeconds(
    env,
    'SESSION_TTL_SECONDS',
    lifetimes.sessionSeconds ?? DEFAULTS.sessionTtlSeconds,
  )
  const clients = registeredClients(file, clientPublicUrl)
  const clientAppId = file.clientApp?.clientId ?? BUILTIN_CLIENT_ID
  const secretOf = (id: string) => clients.find((c) => c.clientId === id)?.clientSecret ?? ''
  const config: LabConfig = {
    host: read(env, 'HOST') ?? file.host ?? DEFAULTS.host,
    logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS, file.logLevel ?? DEFAULTS.logLevel),
    allowInsecureHttp: true,
    inspector: {
      enabled: readChoice(env, 'INSPECTOR', ['on', 'off'] as const, 'on') === 'on',
      capacity: readInteger(env, 'INSPECTOR_CAPACITY', DEFAULTS.inspectorCapacity, 'exchanges', 1_000_000),
    },
    auth: {
      port: authPort,
      publicUrl: readUrl(env, 'AUTH_PUBLIC_URL', file.urls?.authPublic ?? `http://localhost:${authPort}`),
      internalUrl: readUrl(env, 'AUTH_INTERNAL_URL', file.urls?.authInternal ?? `http://127.0.0.1:${authPort}`),
      codeTtlSeconds: readSeconds(
        env,
        'CODE_TTL_SECONDS',
        lifetimes.codeSeconds ?? DEFAULTS.codeTtlSeconds,
        DEFAULTS.maxCodeTtlSeconds,
      ),
      accessTokenTtlSeconds: readSeconds(
        env,
        'ACCESS_TOKEN_TTL_SECONDS',
        lifetimes.accessTokenSeconds ?? DEFAULTS.accessTokenTtlSeconds,
      ),
      refreshTokenTtlSeconds: readSeconds(
        env,
        'REFRESH_TOKEN_TTL_SECONDS',
        lifetimes.refreshTokenSeconds ?? DEFAULTS.refreshTokenTtlSeconds,
      ),
      signingAlg: readChoice(env, 'SIGNING_ALG', ['ES256', 'RS256', 'EdDSA'] as const, file.signingAlg ?? 'ES256'),
      sessionSecret: readSecret(env, 'AUTH_SESSION_SECRET'),
      sessionTtlSeconds,
      ...(read(env, 'AUTO_LOGIN') === undefined ? {} : { autoLogin: read(env, 'AUTO_LOGIN') }),
      honourLoginHint: readChoice(env, 'LOGIN_HINT', ['on', 'off'] as const, 'off') === 'on',
      labAdmin: readChoice(env, 'LAB_ADMIN', ['on', 'off'] as const, 'off') === 'on',
      store: readStore(env),
    },
    resource: {
      port: resourcePort,
      publicUrl: readUrl(env, 'RESOURCE_PUBLIC_URL', file.urls?.resourcePublic ?? `http://localhost:${resourcePort}`),
      internalUrl: readUrl(
        env,
        'RESOURCE_INTERNAL_URL',
        file.urls?.resourceInternal ?? `http://127.0.0.1:${resourcePort}`,
      ),
      tokenCheck: readChoice(
        env,
        'RESOURCE_TOKEN_CHECK',
        ['jwt', 'introspect'] as const,
        file.tokenCheck ?? DEFAULTS.resourceTokenCheck,
      ),
      requiredScope,
      introspectionClientId: BUILTIN_RESOURCE_CLIENT_ID,
      introspectionClientSecret: secretOf(BUILTIN_RESOURCE_CLIENT_ID),
    },
    client: {
      port: clientPort,
      publicUrl: clientPublicUrl,
      clientId: clientAppId,
      clientSecret: secretOf(clientAppId),
      scope: file.clientApp?.scope ?? 'foo bar',
      sessionSecret: readSecret(env, 'CLIENT_SESSION_SECRET'),
      sessionTtlSeconds,
    },
    clients,
    users: fileUsers(file),
    labKey: readLabKey(env),
    allowedHosts: readAllowedHosts(env),
    scopes: file.scopes ?? BUILTIN_SCOPES,
  }
  assertNoSubjectCollision(config)
  return deepFreeze(config)
}

/**
 * RFC 9700 §4.15.1: a client_id that equals a user's `sub` would let a
 * client_credentials token pass for that user's token. Refuse such a config.
 */
export function assertNoSubjectCollision(config: Pick<LabConfig, 'clients' | 'users'>): void {
  const subs = new Set(config.users.map((u) => u.sub))
  const clash = config.clients.find((c) => subs.has(c.clientId))
  if (clash)
    throw new ConfigError(
      `client_id ${clash.clientId} is also a user's sub; they must differ (RFC 9700 section 4.15.1)`,
    )
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * For entry files: load the config or print the reason (one line per
 * problem) and exit 1. The file comes from `--config` in argv (the launcher
 * and the CLI pass it on) or `OAUTH_LAB_CONFIG`; flags beat the environment.
 * A bad flag exits 2.
 */
export function loadConfigOrExit(env: Env = process.env, argv: readonly string[] = process.argv.slice(2)): LabConfig {
  let flags: LabFlags
  try {
    flags = parseLabFlags(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${usageErrorLine(error)}\n`)
    process.exit(2)
  }
  try {
    const file = flags.config ?? read(env, 'OAUTH_LAB_CONFIG')
    return loadConfig({ ...env, ...flagEnv(flags) }, file === undefined ? {} : { file })
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        configErrorLines(error)
          .map((line) => `${line}\n`)
          .join(''),
      )
      process.exit(1)
    }
    throw error
  }
}
