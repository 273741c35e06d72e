// Break it at step 1: an authorization request that names this client but
// asks for the code (or the error) to go somewhere else. The authorization
// server must compare redirect_uri with the registered ones exactly, and on a
// mismatch show its own error page rather than redirect (RFC 6749 §4.1.2.1,
// §10.15; RFC 9700 §4.1.3).

import { randomSecret } from '../../shared/random.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from '../oauth-client.js'
import type { AgentResponse } from './agent.js'
import type { Attack, AttackContext } from './attack.js'

/** The redirect URIs the attacker tries, each with what it imitates, for the registered one. */
export function redirectVariants(registered: string): Array<{ readonly what: string; readonly uri: string }> {
  const url = new URL(registered)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  url.port = String(port === 65535 ? port - 1 : port + 1)
  return [
    { what: 'the attacker’s site', uri: 'https://attacker.example/callback' },
    { what: 'the registered URI with a path added', uri: `${registered}/attacker` },
    { what: 'the registered URI on another port', uri: url.href },
  ]
}

function authorizeUrl(ctx: AttackContext, redirectUri: string): string {
  const url = new URL(
    buildAuthorizeUrl(ctx.config, { state: randomSecret(), codeChallenge: createPkce().codeChallenge }),
  )
  url.searchParams.set('redirect_uri', redirectUri)
  return url.href
}

export const openRedirect: Attack = {
  name: 'open-redirect',
  title: 'Open redirect at /authorize',
  tried:
    'The attacker sends the victim a link to the real authorization endpoint with this client’s client_id but redirect_uri=https://attacker.example/callback, hoping the code (or at least an error) is sent there. Two near misses follow: the registered redirect URI with a path added, and on another port.',
  why: 'The authorization server compares redirect_uri with the URIs registered for the client_id character for character, with no prefix or pattern matching (RFC 9700 section 4.1.3, RFC 6749 section 3.1.2.3). On a mismatch it must not redirect, not even with an error, or it would be an open redirector for phishing and would hand codes to the attacker (RFC 6749 sections 4.1.2.1 and 10.15): it shows its own error page, 400 with no Location header. Each of the three requests is answered that way.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const answers: AgentResponse[] = []
    for (const { what, uri } of redirectVariants(redirectUriOf(ctx.config))) {
      answers.push(
        await ctx.agent.get(`Attack: the victim opens a link with redirect_uri on ${what}`, authorizeUrl(ctx, uri)),
      )
    }
    const registered = redirectUriOf(ctx.config)
    const response = await ctx.agent.get(
      'Afterwards: the same link with the registered redirect_uri, exactly',
      authorizeUrl(ctx, registered),
    )
    return {
      // The first answer that redirected, if any (a bug to show); else the first.
      answer: answers.find((answer) => answer.headers.has('location')) ?? answers[0]!,
      aftermath: { title: 'The registered redirect URI', response, lesson: exactLesson(response.status) },
    }
  },
}

function exactLesson(status: number): string {
  if (status === 200) {
    return 'HTTP 200: with the registered redirect URI, character for character, the same request is accepted and the sign-in page appears. One URI per purpose, compared exactly, is what makes the code’s destination something the attacker cannot choose (RFC 9700 section 4.1.3).'
  }
  return `HTTP ${status}: the authorization server did not show its sign-in page for the registered redirect URI; see the flow inspector for its answer.`
}
