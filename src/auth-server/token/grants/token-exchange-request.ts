// What a token exchange request (RFC 8693 §2.1) must hold before a token is
// issued: a confidential client with an exchange policy, a supported token
// type, a target it may ask for, a subject token (and optional actor token)
// that introspection would call active, and no scope wider than the subject's.

import { parseScope } from '../../../shared/scope.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import type { AuthServerContext } from '../../context.js'
import { OAuthError } from '../../oauth-error.js'
import { registeredResource } from '../../resources.js'
import { lookupToken, type AccessTokenClaims } from '../../token-lifecycle/token-lookup.js'
import type { TokenRequestBody } from '../grant-types.js'

/** RFC 8693 §3: the one token type the lab takes and issues, its own access tokens (JWT or opaque). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

export interface ExchangeRequest {
  /** RFC 8707: the one resource server the new token is for. */
  readonly audience: string
  readonly scopes: readonly string[]
  readonly subject: AccessTokenClaims
  readonly actor?: AccessTokenClaims
}

/** RFC 8693 §4.1: who acts; nested `act` for the actors before. */
export interface ActClaim {
  readonly sub: string
  readonly client_id?: string
  readonly act?: unknown
}

export async function readExchangeRequest(
  ctx: AuthServerContext,
  { client, method }: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<ExchangeRequest> {
  // RFC 8693 §2.1 relies on client authentication: confidential clients only.
  if (method === 'none')
    throw new OAuthError('unauthorized_client', 'Token exchange is for confidential clients only (RFC 8693).')
  const allowed = client.tokenExchange?.audiences ?? []
  if (allowed.length === 0)
    throw new OAuthError(
      'unauthorized_client',
      'This client has no token exchange policy (tokenExchange.audiences): it may not exchange tokens.',
    )
  // RFC 8693 §2.1: the lab issues access tokens only.
  if (body.requested_token_type !== undefined && body.requested_token_type !== ACCESS_TOKEN_TYPE)
    throw new OAuthError(
      'invalid_request',
      `requested_token_type ${body.requested_token_type} is not supported: this server issues only ${ACCESS_TOKEN_TYPE}.`,
    )
  const subjectToken = requiredTokenPair(body.subject_token, body.subject_token_type, 'subject')
  const actorToken = optionalTokenPair(body.actor_token, body.actor_token_type)
  const audience = exchangeTarget(ctx, body, allowed)
  const subject = await activeAccessToken(ctx, subjectToken, 'subject_token')
  const actor = actorToken === undefined ? undefined : await activeAccessToken(ctx, actorToken, 'actor_token')
  if (actor !== undefined) checkMayAct(subject, actor)
  return { audience, scopes: exchangeScopes(subject, body.scope), subject, ...(actor ? { actor } : {}) }
}

/** RFC 8693 §2.1: subject_token and subject_token_type are required; the type must be one the lab takes. */
function requiredTokenPair(token: string | undefined, type: string | undefined, role: 'subject' | 'actor'): string {
  if (token === undefined) throw new OAuthError('invalid_request', `${role}_token is required (RFC 8693 section 2.1).`)
  if (type === undefined)
    throw new OAuthError('invalid_request', `${role}_token_type is required (RFC 8693 section 2.1).`)
  if (type !== ACCESS_TOKEN_TYPE)
    throw new OAuthError(
      'invalid_request',
      `${role}_token_type ${type} is not supported: this server takes only ${ACCESS_TOKEN_TYPE}.`,
    )
  return token
}

/** RFC 8693 §2.1: actor_token_type is required with actor_token and must not come without it. */
function optionalTokenPair(token: string | undefined, type: string | undefined): string | undefined {
  if (token === undefined) {
    if (type !== undefined)
      throw new OAuthError('invalid_request', 'actor_token_type without actor_token (RFC 8693 section 2.1).')
    return undefined
  }
  return requiredTokenPair(token, type, 'actor')
}

/**
 * RFC 8693 §2.1: `resource` (RFC 8707) and `audience` both name the target;
 * here they share one namespace, the registered resource identifiers, and a
 * token has one audience. The client's policy must list it (§2.2.2:
 * invalid_target when the server is unwilling to issue for it).
 */
function exchangeTarget(ctx: AuthServerContext, body: TokenRequestBody, allowed: readonly string[]): string {
  const { resource, audience } = body
  if (resource !== undefined && audience !== undefined && resource !== audience)
    throw new OAuthError(
      'invalid_target',
      'resource and audience name different targets: a token has one audience here (RFC 8707 section 2.2).',
    )
  const target = resource ?? audience
  if (target === undefined)
    throw new OAuthError('invalid_target', 'Send resource or audience: the resource server the new token is for.')
  const found = registeredResource(ctx.config, target)
  if (found instanceof OAuthError) throw found
  if (!allowed.includes(found.identifier))
    throw new OAuthError(
      'invalid_target',
      `This client may not exchange tokens for ${found.identifier} (its tokenExchange.audiences: ${allowed.join(' ')}).`,
    )
  return found.identifier
}

/**
 * The token checked as introspection checks it: signature, expiry,
 * revocation, an access token of this server. RFC 8693 §2.2.2: an invalid
 * subject or actor token is invalid_request.
 */
async function activeAccessToken(
  ctx: AuthServerContext,
  token: string,
  param: 'subject_token' | 'actor_token',
): Promise<AccessTokenClaims> {
  const found = await lookupToken(ctx, token, 'access_token')
  if (found?.kind !== 'access_token' || !found.active)
    throw new OAuthError(
      'invalid_request',
      `${param} is not an active access token of this server (unknown, expired, revoked or not an access token; RFC 8693 section 2.2.2).`,
    )
  return found.claims
}

/** RFC 8693 §4.4: a subject token that names who may act for it (may_act) admits that actor only. */
function checkMayAct(subject: AccessTokenClaims, actor: AccessTokenClaims): void {
  const mayAct: unknown = subject.may_act
  if (mayAct === undefined) return
  const allowedSub = typeof mayAct === 'object' && mayAct !== null ? (mayAct as { sub?: unknown }).sub : undefined
  if (allowedSub !== actor.sub)
    throw new OAuthError(
      'invalid_request',
      'actor_token is not for the party the subject token allows to act for it (may_act, RFC 8693 section 4.4).',
    )
}

/** RFC 8693 §2.1 / RFC 6749 §3.3: at most the subject token's scopes; none asked, all of them. */
function exchangeScopes(subject: AccessTokenClaims, scope: string | undefined): readonly string[] {
  const granted = parseScope(subject.scope)
  const requested = parseScope(scope)
  const wider = requested.filter((s) => !granted.includes(s))
  if (wider.length > 0)
    throw new OAuthError(
      'invalid_scope',
      `Scope wider than the subject token's (${granted.join(' ')}): ${wider.join(' ')}.`,
    )
  return requested.length > 0 ? requested : granted
}

/**
 * RFC 8693 §4.1: with an actor, `act` names it (its sub, and its client when
 * that is not its sub), the subject token's own `act` nested inside as the
 * actor before it. Without an actor (impersonation) the subject's `act`, if
 * any, is kept as it was.
 */
export function actClaim(subject: AccessTokenClaims, actor: AccessTokenClaims | undefined): ActClaim | undefined {
  const prior = isActClaim(subject.act) ? subject.act : undefined
  if (actor === undefined) return prior
  return {
    sub: actor.sub,
    ...(actor.client_id === actor.sub ? {} : { client_id: actor.client_id }),
    ...(prior === undefined ? {} : { act: prior }),
  }
}

function isActClaim(value: unknown): value is ActClaim {
  return typeof value === 'object' && value !== null && typeof (value as { sub?: unknown }).sub === 'string'
}
