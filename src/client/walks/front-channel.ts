// The authorization-code part that several walks begin with: send the
// learner's browser to the authorization endpoint with a fresh state and PKCE
// challenge (RFC 6749 §4.1.1, RFC 7636 §4.3), and, when it comes back, check
// the answer (state by walk-callback.ts, iss here: RFC 9207 §2.4) and redeem
// the code with HTTP Basic (RFC 6749 §4.1.3).

import { randomSecret } from '../../shared/random.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from '../oauth-client.js'
import { clientBasic, errorLine, type WalkAnswer, tokenRequest } from './walk-http.js'
import type { WalkOutcome, WalkRunContext } from './walk.js'

/** Step 1 of a walk that needs a user: the browser goes to /authorize; the verifier stays in the session. */
export function authorizationRedirect(
  ctx: WalkRunContext,
  extra: Readonly<Record<string, string>> = {},
  clientId = ctx.config.client.clientId,
): WalkOutcome {
  const state = randomSecret()
  const pkce = createPkce()
  const location = buildAuthorizeUrl(ctx.config, { state, codeChallenge: pkce.codeChallenge, clientId, extra })
  return { kind: 'redirect', location, state, data: { codeVerifier: pkce.codeVerifier } }
}

/** Why the authorization response cannot be used, or undefined when its code can be redeemed. */
export function authorizationProblem(
  ctx: WalkRunContext,
  query: Readonly<Record<string, string | undefined>>,
): string | undefined {
  // RFC 9207 §2.4: the issuer of the answer, errors included, must be the one the request went to.
  if (query.iss !== ctx.config.auth.publicUrl)
    return `iss is "${query.iss ?? '(none)'}", not this lab's issuer: refused (RFC 9207 §2.4).`
  if (query.error !== undefined)
    return `The authorization server answered error=${query.error}${query.error_description ? `: ${query.error_description}` : ''}.`
  if (query.code === undefined) return 'The answer carried no code.'
  return undefined
}

/** The code for tokens, on the back channel (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export function redeemCode(
  ctx: WalkRunContext,
  code: string,
  extra: Readonly<Record<string, string>> = {},
  headers: Readonly<Record<string, string>> = clientBasic(ctx),
): Promise<WalkAnswer> {
  return tokenRequest(
    ctx,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUriOf(ctx.config),
      code_verifier: ctx.data.codeVerifier ?? '',
      ...extra,
    },
    headers,
  )
}

export { errorLine }
