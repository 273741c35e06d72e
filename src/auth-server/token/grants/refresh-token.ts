// Step 6, again later: the refresh_token grant (RFC 6749 §6), with rotation.
// Every use returns a new refresh token; using a rotated one again is a replay
// and revokes the whole family, access tokens included (RFC 9700 §4.14.2).

import { parseScope } from '../../../shared/scope.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import type { AuthServerContext } from '../../context.js'
import { OAuthError } from '../../oauth-error.js'
import type { RotateResult } from '../../store/auth-store.js'
import { checkRefreshTokenBinding } from '../dpop.js'
import { hashToken, issueTokens } from '../issue-tokens.js'
import type { GrantModule, TokenRequestBody, TokenResponse } from '../grant-types.js'

const INVALID = 'The refresh token is invalid, expired, revoked or was issued to another client.'

export const refreshToken: GrantModule<'refresh_token'> = {
  grantType: 'refresh_token',
  // RFC 6749 §6.
  parameters: new Set(['refresh_token', 'scope']),
  handler: refreshTokenGrant,
}

export async function refreshTokenGrant(
  ctx: AuthServerContext,
  { client }: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<TokenResponse> {
  if (body.refresh_token === undefined)
    throw new OAuthError('invalid_request', 'refresh_token is required (RFC 6749 section 6).')
  // RFC 6749 §6: a narrower scope may be asked for, never a wider one; none means the original.
  const requested = parseScope(body.scope)
  // RFC 9449 §5.8: a bound refresh token needs a proof of its key (checked with no await before the rotation).
  checkRefreshTokenBinding(ctx, hashToken(body.refresh_token), client.clientId)
  // Checked and rotated in one step, before any await, so two racing uses cannot both pass.
  const rotation = ctx.store.rotateRefreshToken({
    hash: hashToken(body.refresh_token),
    clientId: client.clientId,
    scopes: requested,
  })
  if (!rotation.ok) throw refusal(rotation)
  const { family } = rotation
  const scopes = requested.length > 0 ? requested : family.scopes
  // The new refresh token carries the family's full scope (RFC 6749 §6: identical scope).
  return issueTokens(ctx, { grantType: 'refresh_token', clientId: client.clientId, sub: family.sub, scopes, family })
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
