// The shape of the loaded configuration that every server reads. Public
// through config.ts (and the package's index): add fields, never rename.

import type { ScenarioInput } from './scenario-items.js'
import type {
  AccessTokenFormat,
  GrantType,
  SigningAlg,
  StoreKind,
  TokenAuthMethod,
  TokenCheck,
} from './enumerations.js'

export type { GrantType, TokenAuthMethod } from './enumerations.js'

export interface ClientRegistration {
  readonly clientId: string
  /** Absent for public clients. */
  readonly clientSecret?: string
  readonly name: string
  /** Compared by exact string match (RFC 6749 §3.1.2.3, RFC 9700 §2.1). */
  readonly redirectUris: readonly string[]
  /** Where OpenID Connect RP-initiated logout may send the browser afterwards (exact match). */
  readonly postLogoutRedirectUris?: readonly string[]
  /**
   * The origins (`scheme://host[:port]`) whose pages may call the token,
   * userinfo and revocation endpoints and the resource server (CORS).
   * Absent: those of its redirect URIs. A loopback origin without a port
   * allows any port.
   */
  readonly webOrigins?: readonly string[]
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
  readonly accessTokenFormat?: AccessTokenFormat
  /**
   * The `alg` of its ID tokens (OIDC Dynamic Client Registration 1.0 §2:
   * id_token_signed_response_alg); absent: RS256 (OpenID Connect Discovery 1.0 §3).
   */
  readonly idTokenSignedResponseAlg?: SigningAlg
  /** RFC 9126 §6: authorization requests only through POST /par (a request_uri at /authorize). */
  readonly requirePushedAuthorizationRequests?: boolean
  /** RFC 9449 §5.2 (dpop_bound_access_tokens): its token requests must carry a DPoP proof. */
  readonly requireDpop?: boolean
  /** RFC 8693: the token exchange policy; absent, the client may not exchange tokens. */
  readonly tokenExchange?: TokenExchangePolicy
}

/** RFC 8693 §2.1: which resource servers (RFC 8707 identifiers) a client may exchange tokens for. */
export interface TokenExchangePolicy {
  readonly audiences: readonly string[]
}

export interface UserAccount {
  readonly username: string
  readonly password: string
  /** The user's subject identifier; by default the username. */
  readonly sub: string
  /** OpenID Connect claims (name, email, …) and custom ones, released only by the scopes granted (OIDC Core §5.4). */
  readonly claims?: Readonly<Record<string, unknown>>
}

export interface ScopeDefinition {
  readonly name: string
  readonly description: string
  /** The user claims it releases in the ID token and at /userinfo (OIDC Core §5.4); standard scopes: their standard ones. */
  readonly claims?: readonly string[]
}

/**
 * A resource server the authorization server issues tokens for (RFC 8707):
 * a token's `aud` is one such identifier.
 */
export interface ResourceRegistration {
  /** An absolute URI without fragment (RFC 8707 §2): the `resource` parameter's value and the token's `aud`. */
  readonly identifier: string
  /** The scopes it serves; each one defined in `scopes`. */
  readonly scopes: readonly string[]
  /** Shown to people; default: the identifier. */
  readonly name: string
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
  readonly signingAlg: SigningAlg
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
  /** RFC 8628 §3.2: how long a device code and its user code live (`expires_in`). */
  readonly deviceCodeTtlSeconds: number
  /** RFC 8628 §3.2: the least number of seconds a device waits between polls (`interval`). */
  readonly devicePollIntervalSeconds: number
  /** RFC 9449 §8: DPoP proofs at the token endpoint must carry a current server nonce (DPOP_NONCE). */
  readonly dpopNonce?: boolean
  /** Tests only: one-shot scenarios armed at start (a config file's or startLab's `scenarios`). */
  readonly scenarios?: readonly ScenarioInput[]
}

export type AuthStoreConfig =
  | { readonly kind: Extract<StoreKind, 'memory'> }
  | { readonly kind: Extract<StoreKind, 'sqlite'>; readonly path: string }

export interface ResourceServerConfig {
  readonly port: number
  /** Its identifier: the `aud` of every access token (RFC 9068 §3). */
  readonly publicUrl: string
  readonly internalUrl: string
  readonly tokenCheck: TokenCheck
  readonly requiredScope: string
  readonly introspectionClientId: string
  readonly introspectionClientSecret: string
  /** RFC 9449 §9: DPoP proofs at the resource server must carry a current server nonce (DPOP_NONCE). */
  readonly dpopNonce?: boolean
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
   * The resource servers tokens may be issued for (RFC 8707): the built-in
   * one (`resource.publicUrl`, the default audience) always among them.
   */
  readonly resources: readonly ResourceRegistration[]
  /**
   * The lab's secret (LAB_KEY): minting tokens, scenarios, every server's
   * recorded traffic and every browser's flows in the inspector need it.
   * Random (256 bits) at each start unless set; the launcher hands one key to
   * all three processes.
   */
  readonly labKey: string
  /** Where it came from: set (LAB_KEY, or handed on by the launcher), LAB_KEY_FILE, or made at this start. */
  readonly labKeyOrigin: 'given' | 'file' | 'random'
  /** More `host:port` values every server answers to (ALLOWED_HOSTS), besides its own URLs and loopback names. */
  readonly allowedHosts: readonly string[]
  /** Workshop mode (WORKSHOP=on, or turned on by LAN): /join on the client app, a lab user per learner, the teacher's view. */
  readonly workshop?: boolean
  /** LAN mode's address (LAN, --lan): the servers bind and are reached there. */
  readonly lanAddress?: string
}
