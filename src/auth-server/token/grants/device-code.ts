// The device authorization grant at the token endpoint (RFC 8628 §3.4, §3.5):
// the device polls with its device_code until the user has decided on the
// verification page. Pending, too fast, denied and expired are its own errors;
// once approved the code gives tokens once, as an authorization code would.

import { DEVICE_CODE_GRANT } from '../../../shared/enumerations.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import type { AuthServerContext } from '../../context.js'
import { OAuthError } from '../../oauth-error.js'
import { grantedResources, tokenAudience } from '../../resources.js'
import { signIdToken } from '../../oidc/id-token.js'
import type { DevicePollResult } from '../../store/auth-store.js'
import { issueTokens, newFamily } from '../issue-tokens.js'
import type { GrantModule, TokenRequestBody, TokenResponse } from '../grant-types.js'

export const deviceCode: GrantModule<typeof DEVICE_CODE_GRANT> = {
  grantType: DEVICE_CODE_GRANT,
  // RFC 8628 §3.4.
  parameters: new Set(['device_code']),
  handler: deviceCodeGrant,
}

export async function deviceCodeGrant(
  ctx: AuthServerContext,
  { client }: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<TokenResponse> {
  if (body.device_code === undefined)
    throw new OAuthError('invalid_request', 'device_code is required (RFC 8628 section 3.4).')
  // Checked, recorded and (once approved) consumed in one step, before any await.
  const poll = ctx.store.pollDevice(body.device_code, client.clientId)
  if (!poll.ok) throw pollError(poll)
  const { authorization, user } = poll
  // As for authorization_code: a refresh token for clients registered for it (RFC 9700 §4.14.2).
  // RFC 8707 is not part of the device request here: the token is for the built-in resource server.
  const resources = grantedResources(ctx.config, undefined)
  const grant = { clientId: client.clientId, sub: user.sub, scopes: authorization.scopes, authTime: user.authTime }
  const family = client.grantTypes.includes('refresh_token') ? newFamily(ctx, { ...grant, resources }) : undefined
  const tokens = await issueTokens(ctx, {
    ...grant,
    grantType: DEVICE_CODE_GRANT,
    family,
    audience: tokenAudience(ctx.config, resources, undefined),
  })
  if (!authorization.scopes.includes('openid')) return tokens
  // OIDC Core §3.1.3.3 as for the code flow: the device gets an ID token too (no nonce: none was sent).
  const idToken = await signIdToken(ctx, { ...grant, accessToken: tokens.access_token })
  return { ...tokens, id_token: idToken }
}

function pollError(poll: Exclude<DevicePollResult, { ok: true }>): OAuthError {
  switch (poll.reason) {
    case 'pending':
      return new OAuthError('authorization_pending', 'The user has not yet decided (RFC 8628 section 3.5).')
    case 'slow_down':
      return new OAuthError(
        'slow_down',
        `Polling too fast: wait at least ${poll.intervalSeconds} seconds between requests (RFC 8628 section 3.5).`,
      )
    case 'denied':
      return new OAuthError('access_denied', 'The user denied the authorization request (RFC 8628 section 3.5).')
    case 'expired':
      return new OAuthError(
        'expired_token',
        'The device code has expired; start a new device authorization (RFC 8628 section 3.5).',
      )
    case 'unknown':
      return new OAuthError(
        'invalid_grant',
        'The device code is invalid, was already used or was issued to another client (RFC 8628 section 3.5).',
      )
  }
}
