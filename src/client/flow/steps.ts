// The seven steps of "OAuth 2 in Action": their exact titles, and one short paragraph each
// saying what happens and why, with the RFC sections a teacher can point to.

import type { StepNumber } from './types.js'

export interface StepText {
  readonly n: StepNumber
  readonly title: string
  readonly what: string
  readonly rfc: string
  /** One line: what to look at in this step's exchanges. */
  readonly look: string
}

export const STEPS: readonly StepText[] = [
  {
    n: 1,
    title: 'Client app redirects resource owner to Authorization server',
    what:
      'The client app answers Connect with a 302 to the authorization endpoint; the browser follows it with a GET. ' +
      'The query names the client (client_id), what it asks for (scope), where to come back (redirect_uri), ' +
      'a fresh unguessable state that ties the answer to this browser (CSRF defence), and a PKCE code_challenge.',
    rfc: 'RFC 6749 §4.1.1 (authorization request), §10.12 (state); RFC 7636 §4.3 (code_challenge)',
    look: 'The client app\u2019s 302 Location: client_id, redirect_uri, a fresh state and the code_challenge; its Set-Cookie is the session that keeps state and verifier.',
  },
  {
    n: 2,
    title: 'Resource owner authenticates on Authorization server',
    what:
      'The authorization server does not know who is at the browser, so it shows its own login page; the password ' +
      'goes to the authorization server only, never to the client app. After signing in, the browser is sent back to ' +
      'the same authorization request. A signed-in owner skips this step.',
    rfc: 'RFC 6749 §3.1 (the authorization server authenticates the owner), §10.3',
    look: 'The login form goes to the authorization server (POST /login): the password never reaches the client app.',
  },
  {
    n: 3,
    title: 'Owner authorizes client app',
    what:
      'The consent page names the client and each scope; the owner allows or denies. The authorization server can ' +
      'store the decision, so a later request for the same access by the same client does not ask again ' +
      '(a remembered decision skips this step).',
    rfc: 'RFC 6749 §4.1.1, §10.2; RFC 9700 §4.16 (consent pages must not be framed)',
    look: 'The consent page names the client and each scope; Allow is a POST /consent.',
  },
  {
    n: 4,
    title: 'Auth server redirects owner with authorization code',
    what:
      'The authorization server redirects the browser to the redirect_uri with a one-time, short-lived code, the ' +
      'state exactly as sent, and iss naming itself. The browser delivers them to the client app, which checks that ' +
      'state is the one it sent in step 1 and that iss is the expected issuer before using the code.',
    rfc: 'RFC 6749 §4.1.2 (authorization response), §10.5 (codes); RFC 9207 §2 (iss)',
    look: 'The Location back to the redirect_uri: a one-time code, the same state as step 1, and iss.',
  },
  {
    n: 5,
    title: 'Client app requests Access token from Auth server',
    what:
      'On the back channel, without the browser, the client app POSTs the code, the same redirect_uri and the PKCE ' +
      'code_verifier as a form, authenticating with HTTP Basic (its client_id and client_secret). The authorization ' +
      'server checks that the code was issued to this client for this redirect_uri and that SHA-256 of the verifier ' +
      'is the step 1 challenge.',
    rfc: 'RFC 6749 §4.1.3 (token request), §2.3.1 (HTTP Basic); RFC 7636 §4.5, §4.6 (code_verifier)',
    look: 'Back channel: Authorization: Basic (client_id and client_secret) and the form with code, redirect_uri and code_verifier.',
  },
  {
    n: 6,
    title: 'Auth server issues access token to client to access resource',
    what:
      'The token endpoint answers 200 with JSON: the access_token, its type (Bearer), lifetime and scope, with ' +
      'Cache-Control: no-store. Here the access token is a signed JWT whose header and claims anyone can decode; ' +
      'the client app must not rely on its contents, only the resource server checks them. The code is now used up.',
    rfc: 'RFC 6749 §5.1 (token response); RFC 9068 (JWT access tokens); RFC 6749 §10.5 (one-time codes)',
    look: 'The JSON answer: access_token, token_type Bearer, expires_in, and Cache-Control: no-store; the token\u2019s claims decoded below.',
  },
  {
    n: 7,
    title: 'Client uses access token to access protected resource',
    what:
      'The client app calls the resource server with Authorization: Bearer and the token. The resource server checks ' +
      'the token: its signature against the authorization server\u2019s published keys (GET /jwks, then cached), its ' +
      'issuer, audience, expiry and scope, or it asks the authorization server (POST /introspect).',
    rfc: 'RFC 6750 §2.1 (Bearer header); RFC 9068 §4 (validating JWT access tokens); RFC 7662 (introspection)',
    look: 'Authorization: Bearer with the access token, and the resource server\u2019s answer (a WWW-Authenticate challenge when it refuses).',
  },
]

export function stepTitle(n: StepNumber): string {
  const step = STEPS.find((s) => s.n === n)
  if (step === undefined) throw new Error(`STEPS has no text for step ${n}`)
  return step.title
}
