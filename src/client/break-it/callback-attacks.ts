// Break it at step 4: an authorization response that reaches the victim's
// callback with a code the victim's session did not ask for (code injection),
// or from an authorization server it did not ask (mix-up). These scenes go
// through this very client app, as a browser would.

import { randomSecret } from '../../shared/random.js'
import { buildAuthorizeUrl, buildTokenRequest, redirectUriOf } from '../oauth-client.js'
import { locationOf, type Agent, type AgentResponse } from './agent.js'
import { AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { connect } from './browser-attacks.js'
import { authorize, authorizationCode } from './play-authorization.js'

/** The issuer of another authorization server, as a mix-up would name it. */
export const OTHER_ISSUER = 'https://other-as.example'

/** The victim's callback URL for this code, state and iss (RFC 6749 §4.1.2, RFC 9207 §2). */
function callbackUrl(ctx: AttackContext, params: Record<string, string>): string {
  return `${redirectUriOf(ctx.config)}?${new URLSearchParams(params).toString()}`
}

/** The victim presses Connect: the state the victim's session now expects. */
async function victimState(ctx: AttackContext, victim: Agent): Promise<string> {
  const state = (await connect(ctx, victim)).searchParams.get('state')
  if (state === null) throw new AttackSetupError('The client’s authorization request has no state.')
  return state
}

export const codeInjection: Attack = {
  name: 'code-injection',
  title: 'Code injection (PKCE)',
  tried:
    'The victim presses Connect. The attacker, signed in as bob, gets a code for bob’s account and makes the victim’s browser open the client’s callback with that code, the victim’s own state (as if it had leaked, e.g. from a log) and the right iss, hoping the client redeems it and links the victim’s session to bob’s account.',
  why: 'The state and iss checks pass: the lab handed the attacker the victim’s state. The client app therefore redeems the code, with the code_verifier kept in the victim’s session. That code was issued for the attacker’s code_challenge, so the verifier does not match it and the authorization server refuses with invalid_grant (RFC 7636 section 4.6); the client app shows that refusal and holds no token. This is what PKCE adds against code injection (RFC 9700 section 4.5): without PKCE, the redemption would succeed and the victim would be using bob’s account, as the aftermath below shows with a token request sent as a client without PKCE would send it (the lab’s client app always uses PKCE).',
  answeredBy: 'client app',
  async run(ctx) {
    const victim = ctx.newAgent('Victim')
    const attacker = ctx.newAgent('Attacker')
    const state = await victimState(ctx, victim)
    const stolen = await authorizationCode(ctx, { agent: attacker, username: 'bob' })
    const answer = await victim.get(
      'Attack: open the callback with bob’s code and the victim’s state',
      callbackUrl(ctx, { code: stolen.code, state, iss: ctx.config.auth.publicUrl }),
    )
    const response = await withoutPkce(ctx, attacker)
    return {
      answer,
      aftermath: { title: 'The same injection, at a client without PKCE', response, lesson: noPkceLesson(response) },
    }
  },
}

/**
 * What a client without PKCE would do with an injected code: the attacker's
 * code requested with no code_challenge, redeemed with no code_verifier, on
 * the back channel with this client's credentials. Where the authorization
 * server insists on PKCE for this client, its error redirect is the answer.
 */
async function withoutPkce(ctx: AttackContext, attacker: Agent): Promise<AgentResponse> {
  const url = new URL(buildAuthorizeUrl(ctx.config, { state: randomSecret(), codeChallenge: '' }))
  url.searchParams.delete('code_challenge')
  url.searchParams.delete('code_challenge_method')
  const back = await authorize(ctx, attacker, url.href, { username: 'bob', decision: 'allow' })
  const code = locationOf(back)?.searchParams.get('code')
  if (!code) return back
  return ctx.agent.backChannel(
    'Afterwards: a client without PKCE redeems the injected code (no code_verifier)',
    buildTokenRequest(ctx.config, { code, redirectUri: redirectUriOf(ctx.config) }),
  )
}

/** The subject of the token in a 200 token response, read from the JWT's payload. */
function subjectOf(response: AgentResponse): string | undefined {
  try {
    const token = (JSON.parse(response.body) as { access_token?: unknown }).access_token
    if (typeof token !== 'string') return undefined
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: unknown
    }
    return typeof payload.sub === 'string' ? payload.sub : undefined
  } catch {
    return undefined
  }
}

function noPkceLesson(response: AgentResponse): string {
  if (response.status === 200) {
    return `HTTP 200: the authorization server issued an access token for ${subjectOf(response) ?? 'the attacker’s account'}. A client without PKCE has nothing that ties the code to the browser that started the flow, so it would have stored that token in the victim’s session: the victim would now use bob’s account, and whatever they upload or type goes to bob (RFC 9700 section 4.5). This lab lets a confidential client leave PKCE out (RFC 9700 section 2.1.1 requires it of public clients and recommends it for confidential ones); requirePkce: true in a client’s configuration makes this server insist.`
  }
  return `HTTP ${response.status}: this authorization server refused the flow without PKCE (requirePkce is on for this client, or the token request failed), so a client without PKCE cannot be played here. Where PKCE is optional, such a client would redeem the injected code and log the victim into bob’s account (RFC 9700 section 4.5).`
}

export const mixUp: Attack = {
  name: 'mix-up',
  title: 'Mix-up (iss of another server)',
  tried: `Alice presses Connect, signs in and allows. Her browser comes back to the client’s callback with a real code and her own state, but with iss=${OTHER_ISSUER}: the response claims another authorization server sent it, as in a mix-up attack.`,
  why: 'A client that works with several authorization servers must know which one answered before it uses a code: in a mix-up attack it is made to send a code to the wrong one’s token endpoint, the attacker’s (RFC 9700 section 4.4). The authorization server puts its issuer in every response (iss, RFC 9207 section 2), and the client compares it with the issuer it sent the request to, by simple string comparison, before redeeming anything (RFC 9207 section 2.4). Here it does not match, so the client app refuses and no token request is made.',
  answeredBy: 'client app',
  async run(ctx) {
    const answer = await callbackWithIss(ctx, 'Alice', OTHER_ISSUER)
    const response = await callbackWithIss(ctx, 'Alice again', undefined)
    return {
      answer,
      aftermath: { title: 'The same callback with no iss at all', response, lesson: missingIssLesson(response.status) },
    }
  },
}

/** A fresh flow of a fresh browser, its callback opened with iss replaced (or removed). */
async function callbackWithIss(ctx: AttackContext, who: string, iss: string | undefined): Promise<AgentResponse> {
  const victim = ctx.newAgent(who)
  const authorizeUrl = await connect(ctx, victim)
  const back = locationOf(await authorize(ctx, victim, authorizeUrl.href, { username: 'alice', decision: 'allow' }))
  if (!back) throw new AttackSetupError('The authorization server sent no redirect back (step 4).')
  if (iss === undefined) back.searchParams.delete('iss')
  else back.searchParams.set('iss', iss)
  const label = iss === undefined ? 'the iss parameter removed' : `iss=${iss}`
  return victim.get(`Attack: the callback with ${label}`, back.href)
}

function missingIssLesson(status: number): string {
  if (status === 400) {
    return 'HTTP 400, no token requested. The lab’s metadata says authorization_response_iss_parameter_supported: true, so every genuine response carries iss, and a client that knows this must refuse a response without it (RFC 9207 section 2.4); otherwise an attacker would simply drop the parameter.'
  }
  return `HTTP ${status}: the client app did not refuse a response without iss, although the metadata says authorization_response_iss_parameter_supported: true (RFC 9207 section 2.4).`
}
