// Break it in the client-credentials and OpenID Connect walks: two mistakes
// real clients make, each refused by the authorization server.

import { BUILTIN_PUBLIC_CLIENT_ID } from '../../shared/builtin-data.js'
import { buildTokenRequest } from '../oauth-client.js'
import { AttackSetupError, type Attack } from './attack.js'
import { authorizationCode } from './play-authorization.js'

export const publicClientCredentials: Attack = {
  name: 'client-credentials-public-client',
  title: 'Client credentials asked by a public client',
  tried:
    'The public client (oauth-client-public: a browser app, no secret) asks the token endpoint for a token of its own with grant_type=client_credentials, sending only its client_id.',
  why: 'The client credentials grant gives a token on the strength of the client\u2019s own credentials, so it is only for clients that can keep a secret: anyone can send a public client\u2019s client_id. The authorization server refuses it with unauthorized_client (RFC 6749 section 4.4 and section 5.2; RFC 9700 section 2.5: public clients cannot authenticate).',
  answeredBy: 'authorization server',
  run(ctx) {
    // RFC 6749 §2.3.1, §3.2.1: a public client names itself in the form; it has no Authorization header to send.
    return ctx.agent.backChannel('Attack: client_credentials for the public client', {
      method: 'POST',
      url: `${ctx.config.auth.internalUrl}/token`,
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: BUILTIN_PUBLIC_CLIENT_ID,
        scope: ctx.config.resource.requiredScope,
      }).toString(),
    })
  },
}

export const idTokenAtUserinfo: Attack = {
  name: 'id-token-at-userinfo',
  title: 'ID token sent to userinfo',
  tried:
    'After an OpenID Connect flow (scope openid), the client calls /userinfo with the ID token as its Bearer token instead of the access token, a mix-up of the two tokens the token endpoint returned.',
  why: 'The ID token tells the client who signed in; it is addressed to the client (its aud is the client_id) and is not a credential for any API. Userinfo is a protected resource and takes only the access token (OpenID Connect Core section 5.3.1, RFC 6750 section 2.1): the ID token is refused with 401 invalid_token (RFC 6750 section 3.1).',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx, { scope: 'openid profile' })
    const tokens = await ctx.agent.backChannel(
      'Steps 5-6: the code for tokens (an ID token among them)',
      buildTokenRequest(ctx.config, authorization),
    )
    let idToken: unknown
    try {
      idToken = (JSON.parse(tokens.body) as { id_token?: unknown }).id_token
    } catch {
      idToken = undefined
    }
    if (tokens.status !== 200 || typeof idToken !== 'string')
      throw new AttackSetupError(`The token response held no ID token (HTTP ${tokens.status}).`)
    return ctx.agent.backChannel('Attack: the ID token as the Bearer token at /userinfo', {
      method: 'GET',
      url: `${ctx.config.auth.internalUrl}/userinfo`,
      headers: { Authorization: `Bearer ${idToken}`, Accept: 'application/json' },
    })
  },
}
