// Pushed authorization requests, one "Next" per stop: push (steps 1-2), show
// the short front-channel URL (step 3), send the learner's own browser to sign
// in and consent (step 4), the callback (step 5), the token (step 6), the
// resource (step 7). RFC 9126.

import { randomSecret } from '../../../shared/random.js'
import { createPkce, pushedAuthorizeUrl, redirectUriOf } from '../../oauth-client.js'
import { authorizationProblem, redeemCode } from '../front-channel.js'
import { clientBasic, errorLine, postForm, refused } from '../walk-http.js'
import { resourceStop } from '../resource-call.js'
import type { WalkOutcome, WalkRunContext, WalkScript } from '../walk.js'

async function push(ctx: WalkRunContext): Promise<WalkOutcome> {
  const pkce = createPkce()
  const state = randomSecret()
  // RFC 9126 §2.1: every authorization request parameter, pushed with client authentication.
  const form = {
    response_type: 'code',
    client_id: ctx.config.client.clientId,
    redirect_uri: redirectUriOf(ctx.config),
    scope: ctx.config.client.scope,
    state,
    code_challenge: pkce.codeChallenge,
    code_challenge_method: 'S256',
  }
  const answer = await postForm(ctx, `${ctx.config.auth.internalUrl}/par`, form, clientBasic(ctx))
  const requestUri = answer.json?.request_uri
  const expiresIn = answer.json?.expires_in
  if (answer.status !== 201 || typeof requestUri !== 'string')
    return refused(2, 'The authorization server refused the pushed request', [errorLine(answer)])
  return {
    kind: 'shown',
    data: { state, codeVerifier: pkce.codeVerifier, requestUri },
    result: {
      step: 2,
      title: 'A request_uri for the pushed request',
      ok: true,
      lines: [
        `POST /par with Authorization: Basic (${ctx.config.client.clientId}), the form:`,
        ...Object.entries(form).map(([name, value]) => `  ${name}=${value}`),
        `201: request_uri ${requestUri}`,
        `expires_in ${String(expiresIn)} s: use it within that time, and once (RFC 9126 §2.2).`,
      ],
    },
  }
}

async function showFrontChannel(ctx: WalkRunContext): Promise<WalkOutcome> {
  const url = pushedAuthorizeUrl(ctx.config, ctx.config.client.clientId, ctx.data.requestUri ?? '')
  const names = [...new URL(url).searchParams.keys()].join(' and ')
  return {
    kind: 'shown',
    result: {
      step: 3,
      title: 'The short URL your browser will carry',
      ok: true,
      lines: [
        url,
        `${url.length} characters, ${names} only: no scope, redirect_uri, state or code_challenge to read or change (RFC 9126 §4).`,
      ],
    },
  }
}

async function sendBrowser(ctx: WalkRunContext): Promise<WalkOutcome> {
  const state = ctx.data.state
  if (state === undefined || ctx.data.requestUri === undefined)
    return refused(2, 'Nothing was pushed', ['Start the walk again.'])
  // The state comes back from the pushed request: the callback (walk-callback.ts) knows the walk by it.
  return {
    kind: 'redirect',
    location: pushedAuthorizeUrl(ctx.config, ctx.config.client.clientId, ctx.data.requestUri ?? ''),
    state,
  }
}

/** RFC 6749 §4.1.2, RFC 9207 §2.4: the state was checked by walk-callback.ts; iss and the code here. */
async function callback(
  ctx: WalkRunContext,
  query: Readonly<Record<string, string | undefined>>,
): Promise<WalkOutcome> {
  const problem = authorizationProblem(ctx, query)
  if (problem !== undefined || query.code === undefined)
    return refused(5, 'No code to redeem', [`${problem ?? ''} No token was requested.`])
  return {
    kind: 'shown',
    data: { code: query.code },
    result: {
      step: 5,
      title: 'The code is back at the callback',
      ok: true,
      lines: [
        'state is the one pushed in step 1 (RFC 6749 §10.12): it came back though it never crossed the front channel going out.',
        `iss is ${query.iss} (RFC 9207 §2.4).`,
        `code ${query.code.slice(0, 8)}\u2026: one-time and short-lived (RFC 6749 §4.1.2).`,
      ],
    },
  }
}

async function redeem(ctx: WalkRunContext): Promise<WalkOutcome> {
  const { code } = ctx.data
  if (code === undefined || ctx.data.codeVerifier === undefined)
    return refused(6, 'No code to redeem', ['The browser has not come back with a code; start the walk again.'])
  // RFC 6749 §4.1.3 with the pushed redirect_uri; RFC 7636 §4.5: the verifier of the pushed challenge.
  const answer = await redeemCode(ctx, code)
  const token = answer.json?.access_token
  if (answer.status !== 200 || typeof token !== 'string')
    return refused(6, 'The token endpoint refused', [errorLine(answer)])
  return {
    kind: 'shown',
    data: { accessToken: token },
    result: {
      step: 6,
      title: 'An access token for the pushed request',
      ok: true,
      lines: [
        `200: token_type ${String(answer.json?.token_type)}, expires_in ${String(answer.json?.expires_in)} s, scope "${String(answer.json?.scope)}"`,
        'The code_verifier matched the code_challenge pushed in step 1 (RFC 7636 §4.6).',
      ],
    },
  }
}

export const parScript: WalkScript = {
  name: 'par',
  stops: [
    { step: 2, action: 'Push the authorization request (POST /par)', run: push },
    { step: 3, action: 'Build the front-channel URL', run: showFrontChannel },
    { step: 4, action: 'Send your browser to sign in and consent', run: sendBrowser },
    { step: 6, action: 'Redeem the code with the PKCE verifier', run: redeem },
    resourceStop(7),
  ],
  callback,
}
