// The JSON Schema (draft-07) of oauth-lab.config.json / .yaml. It is the one
// source of the file format: ajv validates against it at start, and the
// README's configuration reference is generated from it (config-docs.ts).

const PORT = { type: 'integer', minimum: 0, maximum: 65535 } as const
const SECONDS = { type: 'integer', minimum: 1 } as const
const NAME = { type: 'string', minLength: 1 } as const
const COMMENT = { type: 'string', description: 'Free text, ignored: JSON has no comments.' } as const

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const SIGNING_ALGS = ['ES256', 'RS256', 'EdDSA'] as const
export const TOKEN_CHECKS = ['jwt', 'introspect'] as const
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const
export const TOKEN_FORMATS = ['jwt', 'opaque'] as const

const client = {
  type: 'object',
  description: 'A registered OAuth client.',
  additionalProperties: false,
  required: ['clientId'],
  properties: {
    $comment: COMMENT,
    clientId: { ...NAME, description: "The `client_id`; unique, and different from every user's `sub`." },
    clientSecret: {
      ...NAME,
      description: 'Its secret. Leave it out for a public client (PKCE required, auth method `none`).',
    },
    name: { ...NAME, description: 'Shown on the consent page. Default: the `clientId`.' },
    redirectUris: {
      type: 'array',
      description:
        'Absolute URLs without fragment (RFC 6749 section 3.1.2), matched exactly. Needed for `authorization_code`.',
      items: { type: 'string' },
    },
    postLogoutRedirectUris: {
      type: 'array',
      description: 'Where OpenID Connect logout may send the browser afterwards (absolute URLs, exact match).',
      items: { type: 'string' },
    },
    scopes: {
      type: 'array',
      description: 'Scopes it may ask for; each one defined in `scopes`. Default: none.',
      items: NAME,
    },
    tokenEndpointAuthMethods: {
      type: 'array',
      description:
        'How it authenticates at the token endpoint. Default: `client_secret_basic` and `client_secret_post` with a secret, `none` without.',
      items: { enum: AUTH_METHODS },
      minItems: 1,
    },
    grantTypes: {
      type: 'array',
      description:
        'Grants it may use. Default: all three with a secret; `authorization_code` and `refresh_token` without.',
      items: { enum: GRANT_TYPES },
    },
    requirePkce: {
      type: 'boolean',
      description:
        'Require PKCE `S256`. Default: true for public clients (and it cannot be false for them), false otherwise.',
    },
    introspectionOnly: {
      type: 'boolean',
      description: "It may only call the introspection endpoint (like the resource server's `oauth-resource-1`).",
    },
    accessTokenFormat: {
      enum: TOKEN_FORMATS,
      description: 'Its access tokens: RFC 9068 JWTs (`jwt`, default) or `opaque` strings checked by introspection.',
    },
  },
} as const

const user = {
  type: 'object',
  description: 'A user who can sign in.',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: {
    $comment: COMMENT,
    username: { ...NAME, description: 'What the user types on the login page.' },
    password: { type: 'string', description: 'Their password (a lab: stored as given).' },
    sub: { ...NAME, description: 'Their subject identifier. Default: the username.' },
    claims: {
      type: 'object',
      description:
        'OpenID Connect claims (`name`, `email`, `email_verified`, ...) released by the `profile` and `email` scopes.',
    },
  },
} as const

const scope = {
  type: 'object',
  description: 'A resource scope.',
  additionalProperties: false,
  required: ['name', 'description'],
  properties: {
    $comment: COMMENT,
    name: {
      type: 'string',
      pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
      description: 'The scope token (RFC 6749 section 3.3: no spaces or quotes).',
    },
    description: { type: 'string', description: 'One line shown on the consent page.' },
  },
} as const

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://oauth-lab.invalid/oauth-lab.config.schema.json',
  title: 'oauth-lab configuration file',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'For editors: the URL or path of this schema. Ignored.' },
    $comment: COMMENT,
    host: { ...NAME, description: 'Bind address of all three servers (`0.0.0.0` in containers). Default `127.0.0.1`.' },
    logLevel: { enum: LOG_LEVELS, description: 'pino log level. Default `info`.' },
    ports: {
      type: 'object',
      description: 'Ports to listen on.',
      additionalProperties: false,
      properties: {
        auth: { ...PORT, description: 'Authorization server port. Default `9001`.' },
        resource: { ...PORT, description: 'Resource server port. Default `9002`.' },
        client: { ...PORT, description: 'Client app port. Default `3000`.' },
      },
    },
    urls: {
      type: 'object',
      description:
        'Public URLs (what browsers use) and internal URLs (what the servers use to reach each other): http(s), no query or fragment.',
      additionalProperties: false,
      properties: {
        authPublic: {
          type: 'string',
          description: 'The issuer (`iss`) of every token. Default `http://localhost:<ports.auth>`.',
        },
        authInternal: {
          type: 'string',
          description: 'How the other servers reach the authorization server. Default `http://127.0.0.1:<ports.auth>`.',
        },
        resourcePublic: {
          type: 'string',
          description:
            "The resource server's identifier: the `aud` of access tokens. Default `http://localhost:<ports.resource>`.",
        },
        resourceInternal: {
          type: 'string',
          description: 'How the client reaches the resource server. Default `http://127.0.0.1:<ports.resource>`.',
        },
        clientPublic: {
          type: 'string',
          description:
            "The client app's URL; the built-in clients' redirect URI is this plus `/authenticated`. Default `http://localhost:<ports.client>`.",
        },
      },
    },
    lifetimes: {
      type: 'object',
      description: 'Lifetimes in seconds.',
      additionalProperties: false,
      properties: {
        codeSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 600,
          description: 'Authorization code lifetime, 1 to 600. Default `60`.',
        },
        accessTokenSeconds: { ...SECONDS, description: 'Access token lifetime. Default `3600`.' },
        refreshTokenSeconds: { ...SECONDS, description: 'A refresh token unused this long expires. Default `86400`.' },
        sessionSeconds: { ...SECONDS, description: 'How long a sign-in session lasts. Default `28800`.' },
      },
    },
    signingAlg: { enum: SIGNING_ALGS, description: 'Signature of access and ID tokens. Default `ES256`.' },
    tokenCheck: {
      enum: TOKEN_CHECKS,
      description: 'How the resource server checks tokens: `jwt` (locally, default) or `introspect`.',
    },
    clientApp: {
      type: 'object',
      description: 'Which registered client the client app is.',
      additionalProperties: false,
      properties: {
        clientId: { ...NAME, description: 'A client in `clients` with a secret. Default `oauth-client-1`.' },
        scope: { type: 'string', description: 'The scopes it asks for, space-separated. Default `foo bar`.' },
      },
    },
    clients: {
      type: 'array',
      description:
        "Replace the built-in clients `oauth-client-1` and `oauth-client-public`. The resource server's `oauth-resource-1` is kept unless listed here too.",
      items: client,
    },
    users: { type: 'array', description: 'Replace the built-in users `alice` and `bob`.', items: user },
    scopes: {
      type: 'array',
      description: 'Replace the built-in scopes `foo` and `bar`; `foo` must stay (the resource server requires it).',
      items: scope,
    },
  },
} as const

export type LogLevel = (typeof LOG_LEVELS)[number]

export interface FileClient {
  readonly $comment?: string
  readonly clientId: string
  readonly clientSecret?: string
  readonly name?: string
  readonly redirectUris?: readonly string[]
  readonly postLogoutRedirectUris?: readonly string[]
  readonly scopes?: readonly string[]
  readonly tokenEndpointAuthMethods?: readonly (typeof AUTH_METHODS)[number][]
  readonly grantTypes?: readonly (typeof GRANT_TYPES)[number][]
  readonly requirePkce?: boolean
  readonly introspectionOnly?: boolean
  readonly accessTokenFormat?: (typeof TOKEN_FORMATS)[number]
}

export interface FileUser {
  readonly username: string
  readonly password: string
  readonly sub?: string
  readonly claims?: Readonly<Record<string, unknown>>
}

/** What a file holds once it passed CONFIG_SCHEMA. */
export interface FileConfig {
  readonly host?: string
  readonly logLevel?: LogLevel
  readonly ports?: { readonly auth?: number; readonly resource?: number; readonly client?: number }
  readonly urls?: {
    readonly authPublic?: string
    readonly authInternal?: string
    readonly resourcePublic?: string
    readonly resourceInternal?: string
    readonly clientPublic?: string
  }
  readonly lifetimes?: {
    readonly codeSeconds?: number
    readonly accessTokenSeconds?: number
    readonly refreshTokenSeconds?: number
    readonly sessionSeconds?: number
  }
  readonly signingAlg?: (typeof SIGNING_ALGS)[number]
  readonly tokenCheck?: (typeof TOKEN_CHECKS)[number]
  readonly clientApp?: { readonly clientId?: string; readonly scope?: string }
  readonly clients?: readonly FileClient[]
  readonly users?: readonly FileUser[]
  readonly scopes?: readonly { readonly name: string; readonly description: string }[]
}
