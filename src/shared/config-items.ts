// The JSON Schemas of one client, one user, one scope and one resource server, as a config file
// or startLab options write them (src/shared/builtin-data.ts fills in the
// defaults these descriptions promise).

import { ACCESS_TOKEN_FORMATS, GRANT_TYPES, SIGNING_ALGS, TOKEN_AUTH_METHODS } from './enumerations.js'
import type { JsonSchema } from './setting-kinds.js'

const NAME = { type: 'string', minLength: 1 } as const
export const COMMENT: JsonSchema = { type: 'string', description: 'Free text, ignored: JSON has no comments.' }

export const CLIENT_SCHEMA: JsonSchema = {
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
        'Absolute URLs without fragment (RFC 6749 section 3.1.2), matched exactly, except that `http://127.0.0.1/…` and `http://[::1]/…` registered without a port match any port (RFC 8252 section 7.3); http(s), or a private-use scheme such as `com.example.app:/cb` for a public client (section 7.1). Needed for `authorization_code`.',
      items: { type: 'string' },
    },
    postLogoutRedirectUris: {
      type: 'array',
      description: 'Where OpenID Connect logout may send the browser afterwards (absolute URLs, exact match).',
      items: { type: 'string' },
    },
    webOrigins: {
      type: 'array',
      description:
        'Origins (`scheme://host[:port]`, no path) whose pages may call `/token`, `/userinfo`, `/revoke` and the resource server from the browser (CORS). Default: the origins of its `redirectUris` (a loopback one without a port: any port; private-use schemes have none).',
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
      items: { enum: TOKEN_AUTH_METHODS },
      minItems: 1,
    },
    grantTypes: {
      type: 'array',
      description:
        'Grants it may use. Default: `authorization_code`, `refresh_token` and `client_credentials` with a secret; `authorization_code` and `refresh_token` without (the built-in `oauth-client-public` also has `urn:ietf:params:oauth:grant-type:device_code`, RFC 8628, and `oauth-client-1` `urn:ietf:params:oauth:grant-type:token-exchange`, RFC 8693).',
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
      enum: ACCESS_TOKEN_FORMATS,
      description: 'Its access tokens: RFC 9068 JWTs (`jwt`, default) or `opaque` strings checked by introspection.',
    },
    idTokenSignedResponseAlg: {
      enum: SIGNING_ALGS,
      description:
        'The `alg` of its OpenID Connect ID tokens (`id_token_signed_response_alg` in OpenID Connect Dynamic Client Registration). Default `RS256`; access tokens keep `signingAlg`.',
    },
    requirePushedAuthorizationRequests: {
      type: 'boolean',
      description:
        'Accept its authorization requests only as pushed ones (RFC 9126 section 6): `POST /par`, then `/authorize` with the `request_uri`. Default false.',
    },
    requireDpop: {
      type: 'boolean',
      description:
        'Its token requests must carry a DPoP proof (RFC 9449 section 5.2, `dpop_bound_access_tokens`); without one: 400 `invalid_dpop_proof`. Default false.',
    },
    tokenExchange: {
      type: 'object',
      description:
        'Token exchange (RFC 8693): the resource servers it may ask for a token for with `urn:ietf:params:oauth:grant-type:token-exchange` (also needed in `grantTypes`, and a `clientSecret`). Default: none, so every exchange is refused. The built-in `oauth-client-1` has the MCP server.',
      additionalProperties: false,
      required: ['audiences'],
      properties: {
        audiences: {
          type: 'array',
          description: 'Resource identifiers (RFC 8707), each one registered in `resources`.',
          items: NAME,
        },
      },
    },
  },
}

export const USER_SCHEMA: JsonSchema = {
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
        'OpenID Connect claims (`name`, `email`, `email_verified`, ...) and claims of your own (`department`, ...), released only by the scopes granted: `profile` and `email` their standard ones, a scope with `claims` those it names.',
    },
  },
}

export const SCOPE_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'A resource scope.',
  additionalProperties: false,
  required: ['name', 'description'],
  properties: {
    $comment: COMMENT,
    name: {
      type: 'string',
      // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
      pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
      description: 'The scope token (RFC 6749 section 3.3: no spaces or quotes).',
    },
    description: { type: 'string', description: 'One line shown on the consent page.' },
    claims: {
      type: 'array',
      items: { type: 'string' },
      description:
        "The users' claims it releases in the ID token and at `/userinfo` (OpenID Connect Core section 5.4), custom ones included. Default: none, except that `profile`, `email`, `address` and `phone` release their standard claims.",
    },
  },
}

export const RESOURCE_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'A resource server tokens may be issued for (RFC 8707).',
  additionalProperties: false,
  required: ['identifier', 'scopes'],
  properties: {
    $comment: COMMENT,
    identifier: {
      ...NAME,
      description:
        'An absolute URI without fragment (RFC 8707 section 2): the value of the `resource` parameter that asks for it, and the `aud` of its tokens; unique.',
    },
    scopes: {
      type: 'array',
      description: 'The scopes it serves; each one defined in `scopes`.',
      items: NAME,
    },
    name: { ...NAME, description: 'What people call it. Default: the `identifier`.' },
  },
}
