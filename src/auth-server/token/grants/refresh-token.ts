// Step 6, again later: the refresh_token grant (RFC 6749 §6), with rotation.
// Every use returns a new refresh token; using a rotated one again is a replay
// and revokes the whole family, access tokens included (RFC 9700 §4.14.2).

import { parseScope } from '../../../shared/scope.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import type { AuthServerContext } from '../../context.js'
import { OAuthError } from '../../oauth-error.js'
import { grantedResources, registeredResource, tokenAudience } from '../../resources.js'
import type { RotateResult, TokenFamily } from '../../store/auth-store.js'
import { checkRefreshTokenBinding } from '../dpop.js'
import { hashToken, issueTokens } from '../issue-tokens.js'
import type { GrantModule, TokenRequestBody, TokenResponse } from '../grant-types.js'

const INVALID = 'The refresh token is invalid, expired, revoked or was issued to another client.'

export const refreshToken: GrantModule<'refresh_token'> = {
  grantType: 'refresh_token',
  // RFC 6749 §6, RFC 8707 §2.2.
  parameters: new Set(['refresh_token', 'scope', 'resource']),
  handler: refreshTokenGrant,
}

export async function refreshTokenGrant(
  ctx: AuthServerContext,
  { client }: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<TokenResponse> {
  if (body.refresh_token === undefined)
    throw new OAuthError('invalid_request', 'refresh_token is required (RFC 6749 section 6).')
  // RFC 8707 §2: an unknown resource is refused before anything changes.
  const named = body.resource === undefined ? undefined : registeredResource(ctx.config, body.resource)
  if (named instanceof OAuthError) throw named
  // RFC 6749 §6: a narrower scope may be asked for, never a wider one; none means the original.
  const requested = parseScope(body.scope)
  const hash = hashToken(body.refresh_token)
  // RFC 9449 §5.8: a bound refresh token needs a proof of its key (checked with no await before the rotation).
  checkRefreshTokenBinding(ctx, hash, client.clientId)
  // RFC 8707 §2.2: the resource is picked among the family's before the token is rotated, so
  // a refused one leaves it usable. No await from here to the rotation.
  const early = audienceBeforeRotation(ctx, hash, client.clientId, body.resource)
  // Checked and rotated in one step, before any await, so two racing uses cannot both pass.
  const rotation = ctx.store.rotateRefreshToken({ hash, clientId: client.clientId, scopes: requested })
  if (!rotation.ok) throw refusal(rotation)
  const { family } = rotation
  const scopes = requested.length > 0 ? requested : family.scopes
  const audience = early ?? familyAudience(ctx, family, body.resource)
  // The new refresh token carries the family's full scope (RFC 6749 §6: identical scope).
  return issueTokens(ctx, {
    grantType: 'refresh_token',
    clientId: client.clientId,
    sub: family.sub,
    scopes,
    audience,
    family,
  })
}

/** The access token's audience: one of the resources the family covers (RFC 8707 §2.2). */
function familyAudience(ctx: AuthServerContext, family: TokenFamily, resource: string | undefined): string {
  return tokenAudience(ctx.config, grantedResources(ctx.config, family.resources), resource)
}

/**
 * The audience, decided for a token that the rotation will accept (this
 * client's, live, not rotated before); undefined otherwise, and the rotation
 * then refuses it, a reuse revoking its family as ever (RFC 9700 §4.14.2).
 */
function audienceBeforeRotation(
  ctx: AuthServerContext,
  hash: string,
  clientId: string,
  resource: string | undefined,
): string | undefined {
  const found = ctx.store.findRefreshToken(hash)
  if (!found || found.family.clientId !== clientId || found.family.revoked) return undefined
  if (found.token.rotated || found.token.expiresAt <= ctx.now()) return undefined
  return familyAudience(ctx, found.family, resource)
}

function refusal(rotation: Exclude<RotateResult, { ok: true }>): OAuthError {
  switch (rotation.reason) {
    // RFC 9700 §4.14.2: the store has revoked the family.
    case 'reused':
      return new OAuthError(
        'invalid_grant',
        'The refresh token was already used; every token of its family is revoked (RFC 9700 section 4.14.2).',
      )
    case 'scope_exceeded':
      return new OAuthError(
        'invalid_scope',
        `The requested scope exceeds the one originally granted (${rotation.family.scopes.join(' ')}).`,
      )
    // RFC 6749 §6: unknown, of another client, revoked or expired: all the same to the client.
    case 'unknown':
    case 'revoked':
    case 'expired':
      return new OAuthError('invalid_grant', INVALID)
  }
}
