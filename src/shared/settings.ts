// Every setting of the lab, one row each: its environment variable, flag,
// config-file key and startLab option (JSON pointers), its kind (schema and
// parser), default and one-line doc. The environment reader, the flag parser,
// --help, the config file's JSON Schema, startLab's checks and the README's
// configuration tables (npm run docs:config) are all made from this table.

import type { AuthStoreConfig, ScopeDefinition } from './config-types.js'
import {
  BUILTIN_CLIENT_APP_SCOPE,
  BUILTIN_CLIENT_ID,
  REQUIRED_SCOPE,
  type ClientInput,
  type ResourceInput,
  type UserInput,
} from './builtin-data.js'
import { CLIENT_SCHEMA, RESOURCE_SCHEMA, SCOPE_SCHEMA, USER_SCHEMA } from './config-items.js'
import { SCENARIO_SCHEMA, type ScenarioInput } from './scenario-items.js'
import {
  LOG_LEVELS,
  SIGNING_ALGS,
  TOKEN_CHECKS,
  type LogLevel,
  type SigningAlg,
  type TokenCheck,
} from './enumerations.js'
import { ROLES, type RoleInfo } from './roles.js'
import * as kind from './setting-kinds.js'
import { LAN_KIND } from './lan-kind.js'

/** Every setting's value once read; a source gives some of them (Partial). */
export interface SettingValues {
  host: string
  logLevel: LogLevel
  authPort: number
  resourcePort: number
  clientPort: number
  authPublicUrl: string
  authInternalUrl: string
  resourcePublicUrl: string
  resourceInternalUrl: string
  clientPublicUrl: string
  codeTtlSeconds: number
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  sessionTtlSeconds: number
  deviceCodeTtlSeconds: number
  devicePollIntervalSeconds: number
  signingAlg: SigningAlg
  tokenCheck: TokenCheck
  clientAppId: string
  clientAppScope: string
  clients: readonly ClientInput[]
  users: readonly UserInput[]
  scopes: readonly ScopeDefinition[]
  extraClients: readonly ClientInput[]
  resources: readonly ResourceInput[]
  store: AuthStoreConfig
  inspector: boolean
  inspectorCapacity: number
  autoLogin: string
  labAdmin: boolean
  loginHint: boolean
  authSessionSecret: string
  clientSessionSecret: string
  labKey: string
  labKeyFile: string
  allowedHosts: readonly string[]
  configFile: string
  dpopNonce: boolean
  scenarios: readonly ScenarioInput[]
  lan: string
  workshop: boolean
}

export type SettingId = keyof SettingValues
export type SettingInput = Partial<SettingValues>
type PortId = RoleInfo['portSetting']

export interface FlagSpec {
  readonly name: string
  readonly short?: string
  /** What --help calls its value: `--port-auth <n>`. */
  readonly arg: string
  /** The value the flag means when given alone (`--lan` is `--lan=on`); any other value needs `=`. */
  readonly bare?: string
}

export interface Setting<T> {
  readonly kind: kind.Kind<T>
  /** One line: the README and --help show it. */
  readonly doc: string
  readonly env?: string
  readonly flag?: FlagSpec
  /** Where the config file holds it (a JSON pointer). */
  readonly file?: string
  /** Where startLab's options hold it (a JSON pointer). */
  readonly option?: string
  readonly default?: T
  /** A URL whose default is built from a port: `http://<host>:<port>`. */
  readonly defaultUrl?: { readonly host: string; readonly port: PortId }
  /** What the README says when there is no fixed default. */
  readonly defaultDoc?: string
}

export type Settings = { readonly [K in SettingId]: Setting<SettingValues[K]> }

export const DEFAULTS = {
  host: '127.0.0.1',
  logLevel: 'info',
  authPort: ROLES[0].defaultPort,
  resourcePort: ROLES[1].defaultPort,
  clientPort: ROLES[2].defaultPort,
  /** RFC 6749 §4.1.2: short-lived; 60 s, configurable up to 600 s. */
  codeTtlSeconds: 60,
  maxCodeTtlSeconds: 600,
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 24 * 3600,
  sessionTtlSeconds: 8 * 3600,
  /** RFC 8628 §3.2: the device code's `expires_in` (10 minutes) and the polling `interval` (5 s, its default). */
  deviceCodeTtlSeconds: 600,
  maxDeviceCodeTtlSeconds: 3600,
  devicePollIntervalSeconds: 5,
  maxDevicePollIntervalSeconds: 60,
  resourceTokenCheck: 'jwt',
  requiredScope: REQUIRED_SCOPE,
  inspectorCapacity: 2000,
} as const

/** A role's port: AUTH_PORT, --port-auth, ports.auth in a file and in startLab options. */
function portOf(role: RoleInfo): Setting<number> {
  const label = role.label.charAt(0).toUpperCase() + role.label.slice(1)
  return {
    kind: kind.port,
    doc: `${label} port.`,
    env: `${role.command.toUpperCase()}_PORT`,
    flag: { name: `port-${role.command}`, arg: 'n' },
    file: `/ports/${role.command}`,
    option: `/ports/${role.command}`,
    default: role.defaultPort,
  }
}

const seconds = kind.count('seconds')

export const SETTINGS: Settings = {
  configFile: {
    kind: kind.name,
    doc: 'A config file (`.json`, `.yaml` or `.yml`) to read.',
    env: 'OAUTH_LAB_CONFIG',
    flag: { name: 'config', short: 'c', arg: 'file' },
  },
  host: {
    kind: kind.name,
    doc: 'Bind address of all three servers (`0.0.0.0` in containers).',
    env: 'HOST',
    file: '/host',
    default: DEFAULTS.host,
  },
  logLevel: {
    kind: kind.choice(LOG_LEVELS),
    doc: 'How much each server logs (pino).',
    env: 'LOG_LEVEL',
    flag: { name: 'log-level', arg: 'level' },
    file: '/logLevel',
    option: '/logLevel',
    default: DEFAULTS.logLevel,
  },
  authPort: portOf(ROLES[0]),
  resourcePort: portOf(ROLES[1]),
  clientPort: portOf(ROLES[2]),
  authPublicUrl: {
    kind: kind.url,
    doc: 'What browsers use; the issuer (`iss`) of every token.',
    env: 'AUTH_PUBLIC_URL',
    file: '/urls/authPublic',
    defaultUrl: { host: 'localhost', port: 'authPort' },
  },
  authInternalUrl: {
    kind: kind.url,
    doc: 'What the other servers use to reach the authorization server.',
    env: 'AUTH_INTERNAL_URL',
    file: '/urls/authInternal',
    defaultUrl: { host: '127.0.0.1', port: 'authPort' },
  },
  resourcePublicUrl: {
    kind: kind.url,
    doc: "The resource server's identifier: the `aud` of access tokens.",
    env: 'RESOURCE_PUBLIC_URL',
    file: '/urls/resourcePublic',
    defaultUrl: { host: 'localhost', port: 'resourcePort' },
  },
  resourceInternalUrl: {
    kind: kind.url,
    doc: 'What the client app uses to reach the resource server.',
    env: 'RESOURCE_INTERNAL_URL',
    file: '/urls/resourceInternal',
    defaultUrl: { host: '127.0.0.1', port: 'resourcePort' },
  },
  clientPublicUrl: {
    kind: kind.url,
    doc: "The client app's URL; the built-in clients' redirect URI is this plus `/authenticated`.",
    env: 'CLIENT_PUBLIC_URL',
    file: '/urls/clientPublic',
    defaultUrl: { host: 'localhost', port: 'clientPort' },
  },
  codeTtlSeconds: {
    kind: kind.count('seconds', DEFAULTS.maxCodeTtlSeconds),
    doc: 'Authorization code lifetime in seconds, 1 to 600.',
    env: 'CODE_TTL_SECONDS',
    file: '/lifetimes/codeSeconds',
    option: '/codeTtlSeconds',
    default: DEFAULTS.codeTtlSeconds,
  },
  accessTokenTtlSeconds: {
    kind: seconds,
    doc: 'Access token lifetime in seconds.',
    env: 'ACCESS_TOKEN_TTL_SECONDS',
    file: '/lifetimes/accessTokenSeconds',
    option: '/accessTokenTtlSeconds',
    default: DEFAULTS.accessTokenTtlSeconds,
  },
  refreshTokenTtlSeconds: {
    kind: seconds,
    doc: 'A refresh token unused this many seconds expires.',
    env: 'REFRESH_TOKEN_TTL_SECONDS',
    file: '/lifetimes/refreshTokenSeconds',
    option: '/refreshTokenTtlSeconds',
    default: DEFAULTS.refreshTokenTtlSeconds,
  },
  sessionTtlSeconds: {
    kind: seconds,
    doc: 'How many seconds a sign-in session lasts.',
    env: 'SESSION_TTL_SECONDS',
    file: '/lifetimes/sessionSeconds',
    default: DEFAULTS.sessionTtlSeconds,
  },
  deviceCodeTtlSeconds: {
    kind: kind.count('seconds', DEFAULTS.maxDeviceCodeTtlSeconds),
    doc: 'Device grant (RFC 8628): how long a device code and its user code live, 1 to 3600 seconds.',
    env: 'DEVICE_CODE_TTL_SECONDS',
    file: '/lifetimes/deviceCodeSeconds',
    option: '/deviceCodeTtlSeconds',
    default: DEFAULTS.deviceCodeTtlSeconds,
  },
  devicePollIntervalSeconds: {
    kind: kind.count('seconds', DEFAULTS.maxDevicePollIntervalSeconds),
    doc: 'Device grant (RFC 8628): the seconds a device waits between polls of the token endpoint, 1 to 60.',
    env: 'DEVICE_POLL_INTERVAL_SECONDS',
    file: '/lifetimes/devicePollIntervalSeconds',
    option: '/devicePollIntervalSeconds',
    default: DEFAULTS.devicePollIntervalSeconds,
  },
  signingAlg: {
    kind: kind.choice(SIGNING_ALGS),
    doc: 'Signature of access tokens (ID tokens are RS256 unless the client sets idTokenSignedResponseAlg).',
    env: 'SIGNING_ALG',
    file: '/signingAlg',
    option: '/signingAlg',
    default: 'ES256',
  },
  tokenCheck: {
    kind: kind.choice(TOKEN_CHECKS),
    doc: 'How the resource server checks tokens: `jwt` locally against the JWKS, `introspect` by asking the authorization server each time.',
    env: 'RESOURCE_TOKEN_CHECK',
    file: '/tokenCheck',
    option: '/tokenCheck',
    default: DEFAULTS.resourceTokenCheck,
  },
  clientAppId: {
    kind: kind.name,
    doc: 'The registered client the client app is: one in `clients` with a secret.',
    file: '/clientApp/clientId',
    option: '/clientApp/clientId',
    default: BUILTIN_CLIENT_ID,
  },
  clientAppScope: {
    kind: kind.text,
    doc: 'The scopes the client app asks for, space-separated.',
    file: '/clientApp/scope',
    option: '/clientApp/scope',
    default: BUILTIN_CLIENT_APP_SCOPE,
  },
  clients: {
    kind: kind.list(CLIENT_SCHEMA, 'A registered OAuth client.'),
    doc: "Replace the built-in clients `oauth-client-1` and `oauth-client-public`. The resource server's `oauth-resource-1` is kept unless listed here too.",
    file: '/clients',
    option: '/clients',
  },
  users: {
    kind: kind.list(USER_SCHEMA, 'A user who can sign in.'),
    doc: 'Replace the built-in users `alice` and `bob`.',
    file: '/users',
    option: '/users',
  },
  scopes: {
    kind: kind.list(SCOPE_SCHEMA, 'A resource scope.'),
    doc: 'Replace the built-in scopes `foo` and `bar`; `foo` must stay (the resource server requires it).',
    file: '/scopes',
    option: '/scopes',
  },
  extraClients: {
    kind: kind.list(CLIENT_SCHEMA, 'A registered OAuth client.'),
    doc: 'Clients added beside the registered ones (the built-in ones or `clients`).',
    option: '/extraClients',
  },
  resources: {
    kind: kind.list(RESOURCE_SCHEMA, 'A resource server tokens may be issued for (RFC 8707).'),
    doc: 'Replace the built-in resource servers: `RESOURCE_PUBLIC_URL` ("Built-in resource server", the audience of tokens that name no `resource`) and `RESOURCE_PUBLIC_URL/mcp` ("MCP server"), both serving `foo bar`. The built-in one is kept unless listed here too.',
    file: '/resources',
    option: '/resources',
  },
  store: {
    kind: kind.store,
    doc: 'Where the authorization server keeps its state: `memory`, or `sqlite:<path>` (e.g. `sqlite:./data/oauth-lab.db`) to keep remembered decisions, sessions, refresh tokens and signing keys across restarts (sign-in sessions survive only with a fixed `AUTH_SESSION_SECRET`).',
    env: 'STORE',
    default: { kind: 'memory' },
  },
  inspector: {
    kind: kind.onOff,
    doc: 'Record exchanges for the flow inspector (and `lab.requests()`), and serve the lab-only `/_lab/*` routes.',
    env: 'INSPECTOR',
    option: '/inspector',
    default: true,
  },
  inspectorCapacity: {
    kind: kind.count('exchanges', 1_000_000),
    doc: 'How many exchanges each server keeps for the inspector.',
    env: 'INSPECTOR_CAPACITY',
    default: DEFAULTS.inspectorCapacity,
  },
  autoLogin: {
    kind: kind.name,
    doc: 'Tests only: sign every browser in as this user (one of the users) and consent for them.',
    env: 'AUTO_LOGIN',
    file: '/loginAs',
    option: '/loginAs',
  },
  labAdmin: {
    kind: kind.onOff,
    doc: 'Serve the lab\'s control routes: the one-shot scenarios at `GET|POST /_lab/scenarios`, and `POST /_lab/next-login`, `/_lab/users`, `/_lab/next-token-claims`, `/_lab/keys/rotate` (see "Control the lab from any language").',
    env: 'LAB_ADMIN',
    option: '/admin',
    default: false,
  },
  loginHint: {
    kind: kind.onOff,
    doc: 'Tests only: sign the browser in as the user named by `login_hint`.',
    env: 'LOGIN_HINT',
    file: '/loginHint',
    option: '/loginHint',
    default: false,
  },
  authSessionSecret: {
    kind: kind.secret,
    doc: "The authorization server's cookie signing secret (at least 32 characters).",
    env: 'AUTH_SESSION_SECRET',
    defaultDoc: 'random at each start',
  },
  clientSessionSecret: {
    kind: kind.secret,
    doc: "The client app's cookie signing secret (at least 32 characters).",
    env: 'CLIENT_SESSION_SECRET',
    defaultDoc: 'random at each start',
  },
  labKey: {
    kind: kind.labKey,
    doc: "The lab key: minting tokens, scenarios, every server's recorded traffic and every browser's flows need it (`Authorization: Bearer <key>`, or `?lab_key=<key>` once in a browser). `npm start` prints it once and hands one key to all three servers.",
    env: 'LAB_KEY',
    option: '/labKey',
    defaultDoc: 'random (256 bits) at each start',
  },
  labKeyFile: {
    kind: kind.name,
    doc: 'Where processes started apart (docker compose) share the lab key: read from this file, or made there (0600) by the first one to start. `LAB_KEY` wins over it.',
    env: 'LAB_KEY_FILE',
    defaultDoc: 'none',
  },
  allowedHosts: {
    kind: kind.hostList,
    doc: 'More `host:port` values every server answers to, besides its own URLs and loopback names (e.g. a LAN name for a workshop); any other Host gets 421.',
    env: 'ALLOWED_HOSTS',
    file: '/allowedHosts',
    option: '/allowedHosts',
    default: [],
  },
  dpopNonce: {
    kind: kind.onOff,
    doc: 'Require server-chosen nonces in DPoP proofs (RFC 9449 sections 8 and 9): the token endpoint and the resource server answer `use_dpop_nonce` with a `DPoP-Nonce` header to a proof without a current one.',
    env: 'DPOP_NONCE',
    file: '/dpopNonce',
    option: '/dpopNonce',
    default: false,
  },
  scenarios: {
    kind: kind.list(SCENARIO_SCHEMA, 'A one-shot scenario, as `POST /_lab/scenarios` takes it.'),
    doc: 'Tests only: one-shot scenarios armed at start, in order, each as `POST /_lab/scenarios` takes it (e.g. `{ type: fail-token-requests, count: 2 }`). The HTTP routes still need `LAB_ADMIN`.',
    file: '/scenarios',
    option: '/scenarios',
  },
  lan: {
    kind: LAN_KIND,
    doc: 'Workshop on a LAN: `on` serves on the first non-internal IPv4 address (private ranges first), or name one or its interface (`--lan=192.168.1.20`, `--lan=eth0`); binds there, puts the public URLs and allowed hosts on it and turns workshop mode on.',
    env: 'LAN',
    flag: { name: 'lan', arg: 'on/ip/interface', bare: 'on' },
    file: '/lan',
    option: '/lan',
    default: 'off',
  },
  workshop: {
    kind: kind.onOff,
    doc: 'Workshop mode: each browser joins the client app with a display name (`/join`) and gets a lab user of its own; the teacher follows everyone at `/teacher` (lab key).',
    env: 'WORKSHOP',
    flag: { name: 'workshop', arg: 'on/off', bare: 'on' },
    file: '/workshop',
    option: '/workshop',
    default: false,
  },
}

/** The setting ids in table order. */
export const SETTING_IDS = Object.keys(SETTINGS) as SettingId[]

/** Objects in a file or in startLab options that group settings, and what they hold. */
export const FILE_GROUPS: Readonly<Record<string, string>> = {
  '/ports': 'Ports to listen on.',
  '/urls':
    'Public URLs (what browsers use) and internal URLs (what the servers use to reach each other): http(s), no query or fragment.',
  '/lifetimes': 'Lifetimes in seconds.',
  '/clientApp': 'Which registered client the client app is.',
}
export const OPTION_GROUPS: Readonly<Record<string, string>> = {
  '/ports': 'Ports to listen on; 0 or absent: a free port.',
  '/clientApp': 'Which registered client the client app is.',
}

/** A setting's default as the README shows it; `portRef` names the port setting a URL default is built from. */
export function defaultText<K extends SettingId>(id: K, portRef: (port: PortId) => string): string | undefined {
  const row: Setting<SettingValues[K]> = SETTINGS[id]
  if (row.defaultUrl) return `http://${row.defaultUrl.host}:${portRef(row.defaultUrl.port)}`
  if (row.default === undefined) return row.defaultDoc
  return kind.showValue(row.kind, row.default)
}
