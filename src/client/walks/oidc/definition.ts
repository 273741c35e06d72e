// OpenID Connect (OIDC Core 1.0 §3.1, the authorization code flow): the
// client learns who the user is from an ID token, checks it, reads the user's
// claims at /userinfo, and signs the user out at the authorization server.

import { decodeJwtParts } from '../../flow/decode.js'
import { formOf, hiddenInput, pathOf, queryOf, responseJson } from '../../flow/http.js'
import { AUTHORIZE_PATHS, isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry, RecordedExchange } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition } from '../walk.js'
import { placeFrontChannel } from './front-channel.js'

export const oidcWalk: WalkDefinition = {
  name: 'oidc',
  title: 'OpenID Connect',
  summary:
    'Sign-in with OpenID Connect: the same authorization code flow, with scope=openid and a nonce. The token ' +
    'response adds an ID token, a signed JWT that tells the client who the user is; the client checks it against ' +
    'the authorization server\u2019s keys before believing it, reads more claims at /userinfo, and can sign the ' +
    'user out at the authorization server.',
  rfc: 'OIDC Core 1.0 §3.1, §5.3; OIDC RP-Initiated Logout 1.0',
  steps: [
    {
      n: 1,
      title: 'The client sends the browser to /authorize with scope=openid and a nonce',
      what:
        'The authorization request of the code flow, plus scope=openid profile email (an OpenID Connect request ' +
        'asking for the profile and email claims) and a fresh nonce the ID token must carry back; state and PKCE as always.',
      rfc: 'OIDC Core §3.1.2.1 (scope openid, nonce); RFC 6749 §4.1.1; RFC 7636 §4.3',
      look: 'The Location: scope=openid profile email, nonce, state, code_challenge.',
    },
    {
      n: 2,
      title: 'The user signs in at the authorization server',
      what: 'The authorization server authenticates the user on its own page: the password never reaches the client.',
      rfc: 'OIDC Core §3.1.2.3; RFC 6749 §3.1',
      look: 'POST /login goes to the authorization server.',
    },
    {
      n: 3,
      title: 'The user allows the client to know who they are',
      what: 'The consent page lists openid, profile and email: sharing the user\u2019s identity and claims with the client.',
      rfc: 'OIDC Core §3.1.2.4; RFC 6749 §4.1.2.1',
      look: 'The consent page names each scope; POST /consent carries the decision.',
    },
    {
      n: 4,
      title: 'The browser comes back with the code',
      what: 'The authorization server redirects to the client\u2019s redirect URI with the code, the state and iss.',
      rfc: 'OIDC Core §3.1.2.5; RFC 6749 §4.1.2; RFC 9207 §2',
      look: 'The 302 to /authenticated: code, state (the one sent), iss.',
    },
    {
      n: 5,
      title: 'The token request; the answer adds an id_token',
      what:
        'The client redeems the code on the back channel, as in any code flow. Because the request had scope=openid, ' +
        'the answer carries an id_token beside the access token.',
      rfc: 'OIDC Core §3.1.3.1, §3.1.3.3; RFC 6749 §4.1.3',
      look: 'The JSON answer: id_token, access_token, token_type, scope with openid.',
    },
    {
      n: 6,
      title: 'The client validates the ID token',
      what:
        'Before trusting it, the client checks the ID token: its signature against the keys at jwks_uri, iss (the ' +
        'authorization server), aud (this client_id), exp and iat, and that its nonce is the one sent in step 1, so ' +
        'a token replayed from another flow is refused.',
      rfc: 'OIDC Core §3.1.3.7 (steps 2, 3, 6, 9, 10, 11), §2 (the ID token)',
      look: 'GET /jwks, and the checks under this step: each ✓ or ✗.',
    },
    {
      n: 7,
      title: 'The user\u2019s claims at /userinfo, then logout',
      what:
        'The client calls /userinfo with the access token and gets the user\u2019s claims; their sub must equal the ID ' +
        'token\u2019s. Then it signs the user out: the browser goes to the end_session_endpoint with id_token_hint, the ' +
        'user confirms, and the authorization server sends it back to the registered post_logout_redirect_uri with the state.',
      rfc: 'OIDC Core §5.3, §5.3.2 (sub); OIDC RP-Initiated Logout 1.0 §2, §3',
      look: 'GET /userinfo with Authorization: Bearer; GET /end-session?id_token_hint=…; POST /logout; the redirect back.',
    },
  ],
  place(e, all) {
    const front = placeFrontChannel(e, all)
    if (front) return front
    if (isTokenRequest(e)) return { request: 5, response: 5, from: 'client', to: 'auth-server' }
    if (e.role !== 'auth-server') return undefined
    const path = pathOf(e)
    if (path === '/jwks') return { request: 6, response: 6, from: 'client', to: 'auth-server' }
    if (path === '/userinfo') return { request: 7, response: 7, from: 'client', to: 'auth-server' }
    if (path === '/end-session' || path === '/logout')
      return { request: 7, response: 7, from: 'browser', to: 'auth-server' }
    return undefined
  },
  joins: logoutExchanges,
  checks: oidcChecks,
  attacks: ['id-token-at-userinfo'],
}

/** The ID token of the flow's token response. */
function idTokenOf(exchanges: readonly RecordedExchange[]): string | undefined {
  for (const e of exchanges) {
    const token = isTokenRequest(e) ? responseJson(e)?.id_token : undefined
    if (typeof token === 'string') return token
  }
  return undefined
}

/**
 * RP-Initiated Logout carries neither the walk's tag nor a state the inspector
 * follows: its GET /end-session is known by the id_token_hint (the flow's ID
 * token), and the confirming POST /logout by the page's `interaction`.
 */
function logoutExchanges(
  members: readonly RecordedExchange[],
  untagged: readonly RecordedExchange[],
): readonly RecordedExchange[] {
  const idToken = idTokenOf(members)
  if (idToken === undefined) return []
  const pages = untagged.filter(
    (e) => e.role === 'auth-server' && pathOf(e) === '/end-session' && queryOf(e).get('id_token_hint') === idToken,
  )
  const interactions = new Set(pages.map((e) => hiddenInput(e, 'interaction')).filter((i) => i !== undefined))
  const confirms = untagged.filter(
    (e) =>
      e.role === 'auth-server' &&
      e.request.method === 'POST' &&
      pathOf(e) === '/logout' &&
      interactions.has(formOf(e).get('interaction') ?? ''),
  )
  return [...pages, ...confirms]
}

/** What the inspector can check from the recorded exchanges: the nonce sent and the one the ID token carries, and the userinfo sub. */
function oidcChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const exchanges = [...new Set(entries.map((x) => x.exchange))]
  const idToken = idTokenOf(exchanges)
  const claims = idToken === undefined ? undefined : decodeJwtParts(idToken)?.claims
  if (claims === undefined) return []
  const authorize = exchanges.find((e) => e.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(e)))
  const sent = authorize === undefined ? undefined : queryOf(authorize).get('nonce')
  const checks: WalkCheck[] = [
    {
      step: 6,
      ok: sent !== undefined && sent !== null && claims.nonce === sent,
      text:
        claims.nonce === sent
          ? 'nonce: the ID token carries the nonce sent in step 1 (OIDC Core §3.1.3.7 step 11).'
          : `nonce: the ID token\u2019s nonce (${String(claims.nonce)}) is not the one sent in step 1 (OIDC Core §3.1.3.7 step 11).`,
    },
  ]
  const userinfo = exchanges.find((e) => e.role === 'auth-server' && pathOf(e) === '/userinfo')
  const info = userinfo === undefined ? undefined : responseJson(userinfo)
  if (info !== undefined)
    checks.push({
      step: 7,
      ok: info.sub === claims.sub,
      text:
        info.sub === claims.sub
          ? `sub: /userinfo\u2019s sub is the ID token\u2019s (${String(claims.sub)}) (OIDC Core §5.3.2).`
          : `sub: /userinfo\u2019s sub (${String(info.sub)}) is not the ID token\u2019s (${String(claims.sub)}) (OIDC Core §5.3.2).`,
    })
  return checks
}
