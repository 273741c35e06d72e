// Break it in the SPA walk: a public client has no secret, so the only thing
// that keeps a stolen code from being redeemed is PKCE's code_verifier, which
// never left the browser tab that asked for the code.

import { BUILTIN_PUBLIC_CLIENT_ID } from '../../shared/builtin-data.js'
import { randomSecret } from '../../shared/random.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from '../oauth-client.js'
import { locationOf } from './agent.js'
import { AttackSetupError, type Attack } from './attack.js'
import { authorize } from './play-authorization.js'

export const spaCodeWithoutVerifier: Attack = {
  name: 'spa-code-without-verifier',
  title: 'SPA code redeemed without the verifier',
  tried:
    'A code issued to the public SPA client (oauth-client-public, with a PKCE challenge) is redeemed by someone who copied it from the URL or the browser history: client_id in the form, no secret (there is none), and no code_verifier.',
  why: 'A public client cannot authenticate, so anyone can send its client_id. What they cannot send is the code_verifier, which stayed in the SPA\u2019s sessionStorage: the code is bound to its challenge, and a redemption without the verifier is refused with invalid_grant (RFC 7636 section 4.6; RFC 9700 section 2.1.1: public clients must use PKCE).',
  answeredBy: 'authorization server',
  async run(ctx) {
    const pkce = createPkce()
    const url = buildAuthorizeUrl(ctx.config, {
      state: randomSecret(),
      codeChallenge: pkce.codeChallenge,
      clientId: BUILTIN_PUBLIC_CLIENT_ID,
    })
    const back = locationOf(await authorize(ctx, ctx.agent, url, { username: 'alice', decision: 'allow' }))
    const code = back?.searchParams.get('code')
    if (!code) throw new AttackSetupError('The authorization server sent no code back (step 4).')
    // RFC 6749 §3.2.1: a public client sends client_id; there is no Authorization header to send.
    return ctx.agent.backChannel('Attack: redeem the SPA\u2019s code without its code_verifier', {
      method: 'POST',
      url: `${ctx.config.auth.internalUrl}/token`,
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUriOf(ctx.config),
        client_id: BUILTIN_PUBLIC_CLIENT_ID,
      }).toString(),
    })
  },
}
