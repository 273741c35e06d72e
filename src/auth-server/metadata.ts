// Discovery: RFC 8414 authorization server metadata and the JWKS (RFC 9068 §4).

import type { FastifyInstance } from 'fastify'
import { OIDC_SCOPES } from '../shared/config.js'
import { SECRET_AUTH_METHODS, TOKEN_AUTH_METHODS } from '../shared/enumerations.js'
import type { AuthServerContext } from './context.js'
import { OFFLINE_ACCESS } from './authorize/validate-request.js'
import { RESPONSE_MODES } from './oauth-error.js'
import { ID_TOKEN_SIGNING_ALGORITHMS } from './tokens/keys.js'
import { SUPPORTED_GRANT_TYPES } from './token/grants/index.js'
import { DPOP_ALGS } from '../shared/dpop/proof.js'

/** Every URL here is built from the configured public URL, never from Host or X-Forwarded-*. */
export function authorizationServerMetadata(ctx: AuthServerContext): Record<string, unknown> {
  const issuer = ctx.config.auth.publicUrl
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    // Multiple Response Type Encoding Practices §2.1 and Form Post Response Mode §2.
    response_modes_supported: [...RESPONSE_MODES],
    // RFC 8414 §2: omitted would mean ["authorization_code", "implicit"]. Exactly the token endpoint's grants.
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    // RFC 8414 §2 + RFC 9700 §2.1.1: omitted would mean "no PKCE".
    code_challenge_methods_supported: ['S256'],
    // OIDC Discovery §3: the scopes it supports, offline_access (OIDC Core §11) included.
    scopes_supported: [...ctx.config.scopes, ...OIDC_SCOPES, OFFLINE_ACCESS].map((s) => s.name),
    token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
    introspection_endpoint: `${issuer}/introspect`,
    introspection_endpoint_auth_methods_supported: SECRET_AUTH_METHODS,
    revocation_endpoint: `${issuer}/revoke`,
    revocation_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
    // RFC 9207 §3: the client can rely on `iss` in every authorization response.
    authorization_response_iss_parameter_supported: true,
    // OpenID Connect Discovery 1.0 §3 (the same document serves both).
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/end-session`,
    // RFC 8628 §4 and RFC 9126 §5 (PAR is required per client only, never server-wide).
    device_authorization_endpoint: `${issuer}/device_authorization`,
    pushed_authorization_request_endpoint: `${issuer}/par`,
    require_pushed_authorization_requests: false,
    subject_types_supported: ['public'],
    // OpenID Connect Discovery 1.0 §3: RS256 must be listed; each client picks one (idTokenSignedResponseAlg).
    id_token_signing_alg_values_supported: [...ID_TOKEN_SIGNING_ALGORITHMS],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'at_hash',
      'name',
      'given_name',
      'family_name',
      'email',
      'email_verified',
    ],
    prompt_values_supported: ['none', 'login', 'consent'],
    // RFC 7591 §3: clients register themselves here (open registration: no initial access token).
    registration_endpoint: `${issuer}/register`,
    // OAuth Client ID Metadata Document §5: a client_id may be the URL of its metadata document.
    client_id_metadata_document_supported: true,
    // RFC 9449 §5.1: the algorithms a DPoP proof may use at the token endpoint.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
  }
}

export async function metadataRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  const metadata = authorizationServerMetadata(ctx)
  // RFC 8414 §3: GET, 200, application/json. Public documents: any origin may read them.
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(url, async (_request, reply) =>
      reply.header('access-control-allow-origin', '*').type('application/json').send(metadata),
    )
  }
  // A verifier caches /jwks (five minutes here), so it lists the key of every
  // algorithm from the first fetch on: one made later could go unseen.
  app.get('/jwks', async (_request, reply) => {
    await ctx.keys.prepare()
    return reply
      .header('access-control-allow-origin', '*')
      .header('cache-control', 'public, max-age=300')
      .type('application/jwk-set+json')
      .send(ctx.keys.jwks)
  })
  // A listening server makes its keys at once, beside the event loop (key
  // generation runs on the thread pool) and without delaying start-up; route
  // tests, which never listen, make an RSA key only when they need one.
  app.addHook('onListen', async () => {
    ctx.keys.prepare().catch((error: unknown) => app.log.error({ err: error }, 'cannot make the signing keys'))
  })
}
