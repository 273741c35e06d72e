// The client_credentials grant (RFC 6749 §4.4): a confidential client acting
// on its own behalf. No user, so `sub` is the client (RFC 9068 §2.2), and no
// refresh token (§4.4.3).

import { parseScope } from '../../../shared/scope.js'
import type { AuthenticatedClient } from '../../back-channel/client-auth.js'
import type { AuthServerContext } from '../../context.js'
import { OAuthError } from '../../oauth-error.js'
import { audienceOf } from '../../resources.js'
import { issueTokens } from '../issue-tokens.js'
import type { GrantModule, TokenRequestBody, TokenResponse } from '../grant-types.js'

export const clientCredentials: GrantModule<'client_credentials'> = {
  grantType: 'client_credentials',
  // RFC 6749 §4.4.2, RFC 8707 §2.2.
  parameters: new Set(['scope', 'resource']),
  handler: clientCredentialsGrant,
}

export async function clientCredentialsGrant(
  ctx: AuthServerContext,
  { client, method }: AuthenticatedClient,
  body: TokenRequestBody,
): Promise<TokenResponse> {
  // RFC 6749 §4.4: confidential clients only.
  if (method === 'none')
    throw new OAuthError('unauthorized_client', 'client_credentials is for confidential clients only.')
  const requested = parseScope(body.scope)
  const unknown = requested.filter((s) => !client.scopes.includes(s))
  if (unknown.length > 0)
    throw new OAuthError('invalid_scope', `Scope not allowed for this client: ${unknown.join(' ')}.`)
  const scopes = requested.length > 0 ? requested : client.scopes
  // RFC 8707 §2.2: any registered resource server; none named, the built-in one.
  const audience = audienceOf(ctx.config, body.resource)
  return issueTokens(ctx, {
    grantType: 'client_credentials',
    clientId: client.clientId,
    sub: client.clientId,
    scopes,
    audience,
  })
}
