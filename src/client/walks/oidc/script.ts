// OpenID Connect, one "Next" per step: the authorization request with
// scope=openid and a nonce (the browser signs in and consents), the code, the
// token request, the ID token validated against the JWKS, /userinfo, and
// RP-Initiated Logout through the end_session_endpoint.

import { decodeJwt, type JSONWebKeySet } from 'jose'
import { randomSecret } from '../../../shared/random.js'
import { s256Challenge } from '../../../shared/sha256.js'
import { buildAuthorizeUrl, redirectUriOf } from '../../oauth-client.js'
import { authorizationProblem } from '../front-channel.js'
import { errorLine, send, refused, tokenRequest } from '../walk-http.js'
import type { WalkOutcome, WalkRunContext, WalkScript } from '../walk.js'
import { checkIdToken } from './id-token-checks.js'

/** OIDC Core §3.1.2.1: openid makes it an OpenID Connect request; profile and email ask for those claims (§5.4). */
export const OIDC_SCOPE = 'openid profile email'

/** Where the client app comes back after logout: its registered post_logout_redirect_uri. */
function postLogoutUri(ctx: WalkRunContext): string {
  return `${ctx.config.client.publicUrl}/`
}

async function authorizationRequest(ctx: WalkRunContext): Promise<WalkOutcome> {
  const state = randomSecret()
  const nonce = randomSecret()
  const verifier = randomSecret()
  // OIDC Core §3.1.2.1: the nonce binds the ID token to this request; RFC 7636 §4.3: PKCE as well.
  const location = buildAuthorizeUrl(ctx.config, {
    state,
    codeChallenge: s256Challenge(verifier),
    extra: { scope: OIDC_SCOPE, nonce },
  })
  return { kind: 'redirect', location, state, data: { nonce, verifier } }
}

function authorizationResponse(ctx: WalkRunContext, query: Readonly<Record<string, string | undefined>>): WalkOutcome {
  const problem = authorizationProblem(ctx, query)
  if (problem !== undefined || query.code === undefined) return refused(4, 'No code to redeem', [problem ?? ''])
  return {
    kind: 'shown',
    data: { code: query.code },
    result: {
      step: 4,
      title: 'The code is back at the redirect URI, with the state sent in step 1',
      ok: true,
      lines: [`code=${query.code.slice(0, 8)}…`, `iss=${query.iss}`],
    },
  }
}

function signedOut(ctx: WalkRunContext, query: Readonly<Record<string, string | undefined>>): WalkOutcome {
  return {
    kind: 'shown',
    done: true,
    result: {
      step: 7,
      title: 'Signed out at the authorization server, and back at the client',
      ok: true,
      lines: [
        `The browser came back to the post_logout_redirect_uri ${postLogoutUri(ctx)} with the state sent (${String(query.state).slice(0, 8)}…).`,
        'The authorization server\u2019s sign-in session is over: the next authorization request asks for the password again.',
      ],
    },
  }
}

export const oidcScript: WalkScript = {
  name: 'oidc',
  stops: [
    {
      step: 1,
      action: 'Send the browser to /authorize with scope=openid profile email and a nonce',
      run: authorizationRequest,
    },
    {
      step: 5,
      action: 'Send the token request',
      async run(ctx) {
        // RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5); the client authenticates with Basic.
        const answer = await tokenRequest(ctx, {
          grant_type: 'authorization_code',
          code: ctx.data.code ?? '',
          redirect_uri: redirectUriOf(ctx.config),
          code_verifier: ctx.data.verifier ?? '',
        })
        const idToken = answer.json?.id_token
        const accessToken = answer.json?.access_token
        if (answer.status !== 200 || typeof accessToken !== 'string')
          return refused(5, 'The token endpoint refused', [errorLine(answer)])
        // OIDC Core §3.1.3.3: a successful answer to an openid request carries an ID token.
        if (typeof idToken !== 'string') return refused(5, 'The token response has no id_token', ['No id_token.'])
        return {
          kind: 'shown',
          data: { accessToken, idToken },
          result: {
            step: 5,
            title: 'An access token and an ID token',
            ok: true,
            lines: [
              `200: token_type ${String(answer.json?.token_type)}, scope "${String(answer.json?.scope)}"`,
              `id_token: ${idToken.slice(0, 24)}… (a JWT about the user, for this client)`,
            ],
          },
        }
      },
    },
    {
      step: 6,
      action: 'Validate the ID token against the JWKS',
      async run(ctx) {
        // OIDC Core §3.1.3.7 step 6: the keys are the issuer's, from its jwks_uri.
        const keys = await send(ctx, `${ctx.config.auth.internalUrl}/jwks`, { headers: { accept: 'application/json' } })
        if (keys.status !== 200 || !Array.isArray(keys.json?.keys))
          return refused(6, 'The JWKS could not be read', [errorLine(keys)])
        const checks = await checkIdToken(ctx.data.idToken ?? '', keys.json as unknown as JSONWebKeySet, {
          issuer: ctx.config.auth.publicUrl,
          clientId: ctx.config.client.clientId,
          nonce: ctx.data.nonce ?? '',
          now: Math.floor(Date.now() / 1000),
        })
        const ok = checks.every((c) => c.ok)
        const failed = checks.find((c) => !c.ok)
        return {
          kind: 'shown',
          ...(ok ? {} : { done: true }),
          result: {
            step: 6,
            title: ok
              ? 'The ID token is valid'
              : `The client refuses the ID token: the ${failed?.name ?? ''} check failed`,
            ok,
            lines: checks.map((c) => `${c.ok ? '\u2713' : '\u2717'} ${c.text}`),
          },
        }
      },
    },
    {
      step: 7,
      action: 'Call /userinfo with the access token',
      async run(ctx) {
        const answer = await send(ctx, `${ctx.config.auth.internalUrl}/userinfo`, {
          headers: { authorization: `Bearer ${ctx.data.accessToken ?? ''}`, accept: 'application/json' },
        })
        if (answer.status !== 200 || answer.json === undefined)
          return refused(7, 'The userinfo endpoint refused', [
            `${answer.status}: ${answer.headers.get('www-authenticate') ?? answer.text}`,
          ])
        const idSub = idTokenSub(ctx.data.idToken ?? '')
        // OIDC Core §5.3.2: the UserInfo sub MUST equal the ID token's, else the answer is not used.
        const same = answer.json.sub === idSub
        return {
          kind: 'shown',
          ...(same ? {} : { done: true }),
          result: {
            step: 7,
            title: same ? 'The user\u2019s claims from /userinfo' : 'The userinfo sub is not the ID token\u2019s',
            ok: same,
            lines: [
              `200: ${answer.text}`,
              `${same ? '\u2713' : '\u2717'} sub ${String(answer.json.sub)} ${same ? 'equals' : 'differs from'} the ID token\u2019s sub (OIDC Core §5.3.2)`,
            ],
          },
        }
      },
    },
    {
      step: 7,
      action: 'Sign out through the end_session_endpoint with id_token_hint',
      async run(ctx) {
        const state = randomSecret()
        // OIDC RP-Initiated Logout 1.0 §2: id_token_hint names the session, post_logout_redirect_uri (registered) and state the way back.
        const url = new URL(`${ctx.config.auth.publicUrl}/end-session`)
        url.search = new URLSearchParams({
          id_token_hint: ctx.data.idToken ?? '',
          post_logout_redirect_uri: postLogoutUri(ctx),
          state,
        }).toString()
        return { kind: 'redirect', location: url.href, state, data: { phase: 'logout' } }
      },
    },
  ],
  async callback(ctx, query) {
    return Promise.resolve(ctx.data.phase === 'logout' ? signedOut(ctx, query) : authorizationResponse(ctx, query))
  },
}

function idTokenSub(idToken: string): unknown {
  try {
    return decodeJwt(idToken).sub
  } catch {
    return undefined
  }
}
