// Break it at step 4: what comes back to the client's callback. These scenes
// go through this very client app, over HTTP at its public URL, as a browser would.

import { locationOf, type Agent } from './agent.js'
import { AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { authorize, authorizationCode } from './play-authorization.js'

/** The victim presses Connect on this client: step 1, with a state bound to the victim's session. */
export async function connect(ctx: AttackContext, agent: Agent): Promise<URL> {
  const response = await agent.get('Step 1: press Connect on the client', `${ctx.config.client.publicUrl}/connect`)
  const authorizeUrl = locationOf(response)
  if (response.status !== 302 || !authorizeUrl) {
    throw new AttackSetupError(`The client answered Connect with HTTP ${response.status} instead of a redirect.`)
  }
  return authorizeUrl
}

export const forgedState: Attack = {
  name: 'forged-state',
  title: 'Forged state (CSRF)',
  tried:
    'The victim has just pressed Connect. The attacker, signed in as bob, gets a code for bob’s account and makes the victim’s browser open the client’s callback with that code and the attacker’s own state, hoping the client links the victim to bob’s account.',
  why: 'The callback carries a state that is not the one the victim’s session sent in step 1, so the client refuses it before redeeming anything: no token request is made. Without this check an attacker could make your browser finish the attacker’s authorization (cross-site request forgery, RFC 6749 section 10.12, RFC 9700 section 4.7.1). PKCE stops it too: the attacker’s code is bound to the attacker’s code_challenge, and the victim’s session holds another code_verifier, so even a client that skipped the state check would have its token request refused (RFC 7636 section 4.6, RFC 9700 section 2.1.1).',
  answeredBy: 'client app',
  async run(ctx) {
    const victim = ctx.newAgent('Victim')
    await connect(ctx, victim)
    const stolen = await authorizationCode(ctx, { agent: ctx.newAgent('Attacker'), username: 'bob' })
    return victim.get('Attack: open the callback with the attacker’s code and state', stolen.callback.href)
  },
}

export const consentDenied: Attack = {
  name: 'consent-denied',
  title: 'Consent denied',
  tried:
    'Bob presses Connect, signs in and presses Deny on the consent page. The authorization request also carries prompt=consent, so a decision bob remembered earlier does not skip that page.',
  why: 'The resource owner said no. The authorization server sends the browser back with error=access_denied, the state and iss, and no code (RFC 6749 section 4.1.2.1, RFC 9207 section 2). The client checks state and iss, shows the error and has nothing to redeem.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorizeUrl = await connect(ctx, ctx.agent)
    // OIDC Core §3.1.2.1: prompt=consent asks again even when a decision is
    // remembered; a server that does not know it ignores it (RFC 6749 §3.1).
    authorizeUrl.searchParams.set('prompt', 'consent')
    const denied = await authorize(ctx, ctx.agent, authorizeUrl.href, { username: 'bob', decision: 'deny' })
    await ctx.agent.get('Step 4: back at the client’s callback with the error', locationOf(denied)!.href)
    return denied
  },
}
