// Step 1: the authorization request, checked in the order that keeps it safe:
// first the client and its redirect URI, which decide whether an error may be
// redirected at all (RFC 6749 §4.1.2.1, §3.1.2.4), then everything else.

import { OIDC_SCOPES, type ClientRegistration, type LabConfig, type ScopeDefinition } from '../../shared/config.js'
import { parseScope } from '../../shared/scope.js'
import type { ClientRegistry } from '../clients.js'
import { isPublicClient } from '../clients.js'
import { OAuthError, RESPONSE_MODES, type ResponseMode } from '../oauth-error.js'
import { requestedResources } from '../resources.js'
import { redirectUriRegistered } from './redirect-uri.js'
import { CODE_LIFETIME_PARAM } from '../../shared/step-through-code.js'

export type RawQuery = Record<string, string | string[] | undefined>

export interface AuthorizationRequest {
  readonly client: ClientRegistration
  readonly redirectUri: string
  readonly redirectUriSent: boolean
  /** How the response goes back (Multiple Response Type Encoding Practices §2.1); `query` by default. */
  readonly responseMode: ResponseMode
  readonly scopes: readonly string[]
  readonly state?: string
  readonly codeChallenge?: string
  /** OpenID Connect (Core §3.1.2.1): copied into the ID token. */
  readonly nonce?: string
  /** OpenID Connect prompt values: none, login, consent. */
  readonly prompt: readonly string[]
  /** OpenID Connect max_age, in seconds: re-authenticate if the sign-in is older. */
  readonly maxAge?: number
  /** RFC 8707 §2.1: the registered resource servers asked for (none: the built-in one). */
  readonly resources: readonly string[]
  /** The lab's own client app in step-through mode asks for a longer-lived code (code-lifetime.ts). */
  readonly codeLifetimeAsked?: string
  /** RFC 9449 §10: the JWK thumbprint of the DPoP key the code is bound to. */
  readonly dpopJkt?: string
}

const OIDC_SCOPE_NAMES = OIDC_SCOPES.map((s) => s.name)

/** OIDC Core §11: asks for a refresh token that works while the user is away. */
export const OFFLINE_ACCESS: ScopeDefinition = {
  name: 'offline_access',
  description: 'Keep access while you are away: the client gets a refresh token.',
}
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])
const JKT = /^[A-Za-z0-9_-]{43}$/

export type Validation =
  | { readonly ok: true; readonly request: AuthorizationRequest }
  /** Not safe to redirect: show the user a page (RFC 6749 §4.1.2.1: MUST NOT redirect). */
  | { readonly ok: false; readonly redirect: false; readonly message: string }
  /** Safe to redirect back with the error (RFC 6749 §4.1.2.1). */
  | {
      readonly ok: false
      readonly redirect: true
      readonly redirectUri: string
      readonly responseMode: ResponseMode
      readonly state?: string
      readonly error: OAuthError
    }

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/** RFC 6749 §3.1: an empty parameter is treated as absent. */
function single(query: RawQuery, name: string): string | undefined | string[] {
  const value = query[name]
  if (Array.isArray(value)) return value
  return value === undefined || value === '' ? undefined : value
}

export function validateAuthorizationRequest(
  query: RawQuery,
  clients: ClientRegistry,
  scopes: readonly ScopeDefinition[],
  config: Pick<LabConfig, 'resources'>,
): Validation {
  const clientId = single(query, 'client_id')
  if (Array.isArray(clientId)) return page('The client_id parameter is repeated (RFC 6749 §3.1).')
  if (clientId === undefined) return page('The request has no client_id, so the client cannot be identified.')
  const client = clients.get(clientId)
  if (!client || client.introspectionOnly) return page(`Unknown client "${clientId}".`)

  const redirectParam = single(query, 'redirect_uri')
  if (Array.isArray(redirectParam)) return page('The redirect_uri parameter is repeated (RFC 6749 §3.1).')
  // RFC 6749 §3.1.2.3 + RFC 9700 §2.1: exact string comparison, no patterns;
  // only a loopback IP literal's port may differ (RFC 8252 §7.3).
  if (redirectParam !== undefined && !redirectUriRegistered(client.redirectUris, redirectParam)) {
    return page(`The redirect_uri "${redirectParam}" is not registered for client "${client.clientId}".`)
  }
  // RFC 6749 §3.1.2.3: without redirect_uri, only a single registered one can be meant.
  const redirectUri = redirectParam ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined)
  if (redirectUri === undefined) {
    return page('The client has no single registered redirect URI, so redirect_uri is required.')
  }

  // From here on, errors go back to the verified redirect URI.
  const stateParam = single(query, 'state')
  const state = Array.isArray(stateParam) ? stateParam[0] : stateParam
  const mode = readResponseMode(single(query, 'response_mode'))
  // An unknown or repeated response_mode cannot be honoured: its error goes back in query mode.
  const responseMode = mode ?? 'query'
  const fail = (error: OAuthError): Validation => ({
    ok: false,
    redirect: true,
    redirectUri,
    responseMode,
    state,
    error,
  })
  if (mode === undefined)
    return fail(new OAuthError('invalid_request', 'response_mode must be given once, as query, fragment or form_post.'))

  for (const [name, value] of Object.entries(query)) {
    // RFC 8707 §2.1: resource may be repeated, one per resource server.
    if (Array.isArray(value) && name !== 'resource')
      return fail(new OAuthError('invalid_request', `The ${name} parameter is repeated (RFC 6749 §3.1).`))
  }
  const { resource, ...rest } = query
  const params = rest as Record<string, string | undefined>

  const responseType = single(params, 'response_type')
  if (responseType === undefined)
    return fail(new OAuthError('invalid_request', 'response_type is required (RFC 6749 §4.1.1).'))
  if (responseType !== 'code') {
    return fail(new OAuthError('unsupported_response_type', 'Only response_type=code is supported.'))
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return fail(new OAuthError('unauthorized_client', 'This client may not use the authorization code grant.'))
  }

  const granted = checkRequestedScopes(client, scopes, single(params, 'scope') as string | undefined)
  if (granted instanceof OAuthError) return fail(granted)
  const oidc = readOidcParameters(params, granted, redirectParam !== undefined)
  if (oidc instanceof OAuthError) return fail(oidc)
  // RFC 8707 §2: every resource must be a registered one, else invalid_target (redirected, §2.1).
  const resources = requestedResources(config, resource)
  if (resources instanceof OAuthError) return fail(resources)

  const dpopJkt = single(params, 'dpop_jkt') as string | undefined
  // RFC 9449 §10: dpop_jkt is the RFC 7638 thumbprint (SHA-256, base64url) of the key the code is bound to.
  if (dpopJkt !== undefined && dpopJkt !== '' && !JKT.test(dpopJkt))
    return fail(
      new OAuthError('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters.'),
    )

  const codeChallenge = single(params, 'code_challenge') as string | undefined
  const method = single(params, 'code_challenge_method') as string | undefined
  if (codeChallenge === undefined) {
    if (method !== undefined) {
      return fail(new OAuthError('invalid_request', 'code_challenge_method was sent without a code_challenge.'))
    }
    // RFC 9700 §2.1.1 / RFC 7636 §4.4.1: public clients MUST use PKCE.
    if (client.requirePkce || isPublicClient(client)) {
      return fail(new OAuthError('invalid_request', 'code_challenge is required for this client (PKCE, RFC 7636).'))
    }
  } else {
    // RFC 7636 §4.3: a missing method means plain, which this server refuses.
    if (method !== 'S256') {
      return fail(
        new OAuthError(
          'invalid_request',
          'code_challenge_method must be S256; plain is not supported (RFC 7636 §4.3).',
        ),
      )
    }
    if (!S256_CHALLENGE.test(codeChallenge)) {
      return fail(new OAuthError('invalid_request', 'code_challenge must be 43 base64url characters (RFC 7636 §4.2).'))
    }
  }

  return {
    ok: true,
    request: {
      client,
      redirectUri,
      redirectUriSent: redirectParam !== undefined,
      responseMode,
      scopes: granted,
      state,
      codeChallenge,
      ...oidc,
      resources,
      ...(params[CODE_LIFETIME_PARAM] === undefined ? {} : { codeLifetimeAsked: params[CODE_LIFETIME_PARAM] }),
      ...(dpopJkt === undefined || dpopJkt === '' ? {} : { dpopJkt }),
    },
  }
}

/**
 * The scopes of a request as /authorize checks them (also the device
 * authorization request's, RFC 8628 §3.1), or its invalid_scope error.
 */
export function checkRequestedScopes(
  client: ClientRegistration,
  scopes: readonly ScopeDefinition[],
  scopeParam: string | undefined,
): string[] | OAuthError {
  // RFC 6749 §3.3: no scope means the documented default, the client's registered scopes.
  const requested = withoutIgnoredOfflineAccess(parseScope(scopeParam))
  if (requested.includes(OFFLINE_ACCESS.name) && !client.grantTypes.includes('refresh_token')) {
    return new OAuthError(
      'invalid_scope',
      'offline_access asks for a refresh token, and this client is not registered for the refresh_token grant.',
    )
  }
  const known = new Set([...scopes.map((s) => s.name), ...OIDC_SCOPE_NAMES, OFFLINE_ACCESS.name])
  const allowed = new Set([...client.scopes, ...OIDC_SCOPE_NAMES, OFFLINE_ACCESS.name])
  const unknown = requested.filter((s) => !known.has(s) || !allowed.has(s))
  if (unknown.length > 0) {
    return new OAuthError('invalid_scope', `Scope not allowed for this client: ${unknown.join(' ')}.`)
  }
  return requested.length > 0 ? requested : [...client.scopes]
}

/**
 * undefined for an unknown or repeated value. OAuth 2.0 Multiple Response Type
 * Encoding Practices §2.1 (query, fragment) and Form Post Response Mode §2.
 */
function readResponseMode(value: string | string[] | undefined): ResponseMode | undefined {
  if (value === undefined) return 'query'
  return RESPONSE_MODES.find((mode) => mode === value)
}

/**
 * offline_access is OpenID Connect's (Core §11). Outside an OpenID request
 * (no openid scope) OIDC Core §3.1.2.1 leaves the behaviour unspecified and
 * §3.1.2.1's scope rule says values not understood SHOULD be ignored, which
 * RFC 6749 §3.3 allows: it is dropped, never refused. Within one, it needs a
 * client that may use refresh tokens (checked by the caller), and the consent
 * page names it: the explicit consent that §11 requires (or a remembered one
 * that covered it).
 */
function withoutIgnoredOfflineAccess(requested: readonly string[]): string[] {
  if (requested.includes('openid')) return [...requested]
  return requested.filter((s) => s !== OFFLINE_ACCESS.name)
}

/** OpenID Connect Core §3.1.2.1 parameters; prompt and max_age apply to plain OAuth requests too. */
function readOidcParameters(
  params: Record<string, string | undefined>,
  scopes: readonly string[],
  redirectUriSent: boolean,
): OAuthError | { nonce?: string; prompt: string[]; maxAge?: number } {
  // OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID request.
  if (scopes.includes('openid') && !redirectUriSent) {
    return new OAuthError(
      'invalid_request',
      'redirect_uri is required in an OpenID Connect request (OIDC Core section 3.1.2.1).',
    )
  }
  // RFC 6749 §3.1: an empty parameter is treated as absent.
  const given = (name: string) => (params[name] === '' ? undefined : params[name])
  const prompt = (given('prompt') ?? '').split(' ').filter(Boolean)
  if (prompt.some((p) => !PROMPTS.has(p)))
    return new OAuthError('invalid_request', 'prompt must be none, login, consent or select_account.')
  if (prompt.includes('none') && prompt.length > 1)
    return new OAuthError('invalid_request', 'prompt=none cannot be combined with other values.')
  const rawMaxAge = given('max_age')
  if (rawMaxAge !== undefined && !/^\d{1,9}$/.test(rawMaxAge))
    return new OAuthError('invalid_request', 'max_age must be a whole number of seconds.')
  return {
    ...(given('nonce') === undefined ? {} : { nonce: given('nonce') }),
    prompt,
    ...(rawMaxAge === undefined ? {} : { maxAge: Number(rawMaxAge) }),
  }
}

function page(message: string): Validation {
  return { ok: false, redirect: false, message }
}
