// Step 6: Auth server issues access token to client (RFC 6749 §4.1.3, §4.1.4)
// The authorization_code grant: the code is checked, consumed, and exchanged.

import type { AuthServerContext } from '../../context.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import { OAuthError } from '../../oauth-error.js'
import { isValidVerifier, verifierMatches } from '../../pkce.js'
import { signIdToken } from '../../oidc/id-token.js'
import { grantedResources, registeredResource, tokenAudience } from '../../resources.js'
import { issueTokens, newFamily } from '../issue-tokens.js'
import type { GrantModule, TokenRequestBody, TokenResponse } from '../grant-types.js'

export const authorizationCode: GrantModule<'authorization_code'> = {
  grantType: 'authorization_code',
  // RFC 6749 §4.1.3, RFC 7636 §4.5 and RFC 8707 §2.2.
  parameters: new Set(['code', 'redirect_uri', 'code_verifier', 'resource']),
  handler: authorizationCodeGrant,
}

export async function authorizationCodeGrant(
  ctx: AuthServerContext,
  { client }: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<TokenResponse> {
  if (body.code === undefined) throw new OAuthError('invalid_request', 'code is required (RFC 6749 §4.1.3).')
  // RFC 8707 §2: an unknown resource is refused before the code is spent.
  const named = body.resource === undefined ? undefined : registeredResource(ctx.config, body.resource)
  if (named instanceof OAuthError) throw named
  // Consumed now, before any await: two racing redemptions cannot both pass.
  const consumed = ctx.store.consumeCode(body.code, client.clientId)
  // RFC 6749 §4.1.3: the code must have been issued to this client.
  if (!consumed.ok && consumed.reason === 'unknown') {
    throw new OAuthError(
      'invalid_grant',
      'The authorization code is invalid, expired or was issued to another client (RFC 6749 section 5.2).',
    )
  }
  if (!consumed.ok && consumed.reason === 'replayed') {
    // RFC 6749 §4.1.2 / §10.5: one use only; the store has revoked what the code gave.
    throw new OAuthError(
      'invalid_grant',
      'The authorization code was already used; tokens issued from it are revoked (RFC 6749 §4.1.2).',
    )
  }
  if (!consumed.ok)
    throw new OAuthError('invalid_grant', 'The authorization code has expired (RFC 6749 section 4.1.2).')
  const record = consumed.code
  // RFC 6749 §4.1.3: redirect_uri must be identical when it was sent at step 1:
  // to the URI used there, so a loopback one with the port it had (RFC 8252 §7.3).
  if ((record.redirectUriSent || body.redirect_uri !== undefined) && body.redirect_uri !== record.redirectUri) {
    throw new OAuthError(
      'invalid_grant',
      'redirect_uri does not match the one of the authorization request (RFC 6749 §4.1.3).',
    )
  }
  checkPkce(record.codeChallenge, body.code_verifier)
  checkDpopBinding(record.dpopJkt, ctx.tokenBinding?.jkt)
  // RFC 8707 §2.2: one of the resources asked for at step 1 (the only one, unless the client picks).
  const resources = grantedResources(ctx.config, record.resources)
  const audience = tokenAudience(ctx.config, resources, body.resource)

  // RFC 9700 §4.14.2: refresh tokens only for clients registered for them.
  const grant = { clientId: client.clientId, sub: record.sub, scopes: record.scopes, authTime: record.authTime }
  const family = client.grantTypes.includes('refresh_token') ? newFamily(ctx, { ...grant, resources }) : undefined
  const tokens = await issueTokens(ctx, {
    ...grant,
    audience,
    grantType: 'authorization_code',
    family,
    fromCode: record.code,
  })
  if (!record.scopes.includes('openid')) return tokens
  // OIDC Core §3.1.3.3: an OpenID request also gets an ID token.
  const idToken = await signIdToken(ctx, { ...grant, nonce: record.nonce, accessToken: tokens.access_token })
  return { ...tokens, id_token: idToken }
}

/**
 * RFC 9449 §10: a code bound to a DPoP key (dpop_jkt at the authorization
 * request) is redeemed only with a proof of that key; the code is spent
 * either way, as for a wrong PKCE verifier.
 */
function checkDpopBinding(bound: string | undefined, proved: string | undefined): void {
  if (bound === undefined) return
  if (proved === undefined)
    throw new OAuthError(
      'invalid_grant',
      'This code is bound to a DPoP key (dpop_jkt): the token request needs a DPoP proof of that key (RFC 9449 section 10).',
    )
  if (proved !== bound)
    throw new OAuthError(
      'invalid_grant',
      'The DPoP proof is of another key than the one this code is bound to (dpop_jkt, RFC 9449 section 10).',
    )
}

function checkPkce(challenge: string | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    // RFC 9700 §2.1.1: a verifier without a challenge at step 1 is a downgrade attempt.
    if (verifier !== undefined)
      throw new OAuthError(
        'invalid_grant',
        'code_verifier was sent but the authorization request had no code_challenge.',
      )
    return
  }
  if (verifier === undefined)
    throw new OAuthError(
      'invalid_grant',
      'code_verifier is required: the authorization request had a code_challenge (RFC 7636 §4.5).',
    )
  if (!isValidVerifier(verifier))
    throw new OAuthError('invalid_grant', 'code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).')
  if (!verifierMatches(verifier, challenge))
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (RFC 7636 §4.6).')
}
