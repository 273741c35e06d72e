// Steps 1-4 as a browser plays them, for the attacks: GET /authorize, sign in
// (step 2), allow or deny (step 3), up to the redirect back with a code or an
// error (step 4). Hidden fields are read from the pages, as a browser would.

import type { LabConfig } from '../../shared/config.js'
import { randomSecret } from '../../shared/random.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from '../oauth-client.js'
import { locationOf, type Agent, type AgentResponse } from './agent.js'
import { AttackSetupError, type AttackContext } from './attack.js'
import { hiddenField } from './html-text.js'

export interface Authorization {
  /** The redirect back to the client (step 4), with code, state and iss. */
  readonly callback: URL
  readonly code: string
  readonly codeVerifier: string
  readonly redirectUri: string
}

/**
 * The authorization server's internal URL for its public one: where an attack's
 * browser goes when the public URL does not answer from this process (agent.ts).
 */
export function toInternal(config: LabConfig, href: string): string {
  const { publicUrl, internalUrl } = config.auth
  return href.startsWith(`${publicUrl}/`) ? `${internalUrl}${href.slice(publicUrl.length)}` : href
}

function formOf(html: string, action: string): Record<string, string> | undefined {
  if (!html.includes(`action="${action}"`)) return undefined
  const csrf = hiddenField(html, '_csrf')
  const interaction = hiddenField(html, 'interaction')
  return csrf === undefined || interaction === undefined ? undefined : { _csrf: csrf, interaction }
}

function passwordOf(config: LabConfig, username: string): string {
  const user = config.users.find((u) => u.username === username)
  if (!user) throw new AttackSetupError(`The lab has no user ${username}.`)
  return user.password
}

async function signIn(ctx: AttackContext, agent: Agent, page: AgentResponse, username: string): Promise<AgentResponse> {
  const form = formOf(page.body, '/login')
  if (!form) return page
  // Where the victim's browser signs in: the public URL (the agent falls back to the internal one).
  const auth = ctx.config.auth.publicUrl
  const password = passwordOf(ctx.config, username)
  const signedIn = await agent.postForm(`Step 2: sign in as ${username}`, `${auth}/login`, {
    ...form,
    username,
    password,
  })
  const next = locationOf(signedIn)
  if (signedIn.status !== 303 || !next)
    throw new AttackSetupError(`Signing in as ${username} failed with HTTP ${signedIn.status}.`)
  return agent.get('Step 2: back to the authorization endpoint', next.href)
}

/**
 * Plays steps 1-4 from an authorization URL (public or internal) and returns
 * the authorization server's redirect back to the client. Never ticks
 * "Remember this decision", so the attacks leave no decision behind.
 */
export async function authorize(
  ctx: AttackContext,
  agent: Agent,
  authorizeUrl: string,
  who: { username: string; decision: 'allow' | 'deny' },
): Promise<AgentResponse> {
  const first = await agent.get('Step 1: open the authorization endpoint', authorizeUrl)
  const page = await signIn(ctx, agent, first, who.username)
  const consent = formOf(page.body, '/consent')
  if (!consent && who.decision === 'deny') {
    throw new AttackSetupError(
      `${who.username} has a remembered decision for this client, so no consent page appeared to deny. Revoke it at ${ctx.config.auth.publicUrl}/account/grants (signed in as ${who.username}) and try again.`,
    )
  }
  const consentUrl = `${ctx.config.auth.publicUrl}/consent`
  const label = `Step 3: ${who.decision} on the consent page`
  const answer = consent ? await agent.postForm(label, consentUrl, { ...consent, decision: who.decision }) : page
  const back = locationOf(answer)
  if (!back || !back.href.startsWith(`${redirectUriOf(ctx.config)}?`)) {
    throw new AttackSetupError(
      `Expected a redirect back to the client (step 4); the authorization server answered HTTP ${answer.status}.`,
    )
  }
  return answer
}

/** Steps 1-4 of a flow of the attack's own, as alice by default: a fresh code and its verifier. */
export async function authorizationCode(
  ctx: AttackContext,
  opts: { agent?: Agent; username?: string; scope?: string; resource?: string } = {},
): Promise<Authorization> {
  const pkce = createPkce()
  const url = new URL(buildAuthorizeUrl(ctx.config, { state: randomSecret(), codeChallenge: pkce.codeChallenge }))
  if (opts.scope !== undefined) url.searchParams.set('scope', opts.scope)
  // RFC 8707 §2.1: the resource server the token will be for (its aud).
  if (opts.resource !== undefined) url.searchParams.set('resource', opts.resource)
  const who = { username: opts.username ?? 'alice', decision: 'allow' } as const
  const callback = locationOf(await authorize(ctx, opts.agent ?? ctx.agent, url.href, who))
  const code = callback?.searchParams.get('code')
  if (!callback || !code) throw new AttackSetupError('The authorization server sent no code back (step 4).')
  return { callback, code, codeVerifier: pkce.codeVerifier, redirectUri: redirectUriOf(ctx.config) }
}
