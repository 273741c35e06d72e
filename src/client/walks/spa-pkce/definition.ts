// A single-page app as a public client (RFC 6749 §2.1): no secret to keep, so
// PKCE (RFC 7636) binds the code to the browser tab that asked for it, and the
// token request comes from the browser itself, across origins (CORS).

import { formOf, pathOf, requestHeader, responseHeader, responseJson } from '../../flow/http.js'
import { isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry, RecordedExchange } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition } from '../walk.js'
import { placeFrontChannel } from '../oidc/front-channel.js'

/** How long before a resource call its CORS preflight may have been sent (the browser sends it just before). */
const PREFLIGHT_WINDOW_MS = 5_000

export const spaPkceWalk: WalkDefinition = {
  name: 'spa-pkce',
  title: 'Single-page app (public client + PKCE)',
  summary:
    'A JavaScript app in the browser cannot keep a secret: anyone can read its code. It is a public client. It ' +
    'proves that it is the same app that asked for the code with PKCE instead: a random code_verifier made and kept ' +
    'in the browser, whose hash went with the authorization request. Here the page\u2019s script does it all from ' +
    'your browser: the verifier, the token request and the resource call, across origins, allowed by CORS.',
  rfc: 'RFC 7636; RFC 6749 §2.1, §4.1; RFC 9700 §2.1.1',
  steps: [
    {
      n: 1,
      title: 'The SPA makes a PKCE pair and sends the browser to /authorize',
      what:
        'The page\u2019s script makes a random code_verifier with WebCrypto, keeps it in sessionStorage, and sends the ' +
        'browser to the authorization endpoint with client_id=oauth-client-public and the verifier\u2019s SHA-256, the ' +
        'code_challenge. The verifier never leaves the browser until step 5.',
      rfc: 'RFC 7636 §4.1-4.3; RFC 6749 §4.1.1; RFC 9700 §2.1.1 (public clients use PKCE)',
      look: 'GET /authorize: client_id=oauth-client-public, code_challenge and code_challenge_method=S256, state.',
    },
    {
      n: 2,
      title: 'The user signs in at the authorization server',
      what: 'As in any code flow: the password goes to the authorization server, never to the SPA.',
      rfc: 'RFC 6749 §3.1',
      look: 'POST /login at the authorization server.',
    },
    {
      n: 3,
      title: 'The user allows the SPA',
      what: 'The consent page names the public client and the scopes.',
      rfc: 'RFC 6749 §4.1.2.1',
      look: 'POST /consent with decision=allow.',
    },
    {
      n: 4,
      title: 'Back at the redirect URI with the code',
      what:
        'The authorization server redirects to the registered redirect URI with the code and the state. The client ' +
        'app checks the state and hands the code to the SPA\u2019s page, where the verifier waits in sessionStorage.',
      rfc: 'RFC 6749 §4.1.2, §10.12; RFC 9207 §2',
      look: 'The 302 to /authenticated with code and state, then the SPA\u2019s page.',
    },
    {
      n: 5,
      title: 'The SPA POSTs the code and the verifier to /token, from the browser',
      what:
        'fetch() from the page: grant_type=authorization_code, the code, redirect_uri, client_id (a public client ' +
        'names itself, it cannot authenticate) and the code_verifier. No Authorization header: there is no secret. ' +
        'The browser adds an Origin header: the page\u2019s origin, not the authorization server\u2019s.',
      rfc: 'RFC 6749 §4.1.3, §3.2.1 (client_id of a public client), §2.3; RFC 7636 §4.5',
      look: 'The request\u2019s Origin header, no Authorization header, client_id and code_verifier in the form.',
    },
    {
      n: 6,
      title: 'The token, readable by the SPA because CORS allows its origin',
      what:
        'The authorization server hashes the verifier and compares it with the challenge of step 1, then answers ' +
        'with the token. Its Access-Control-Allow-Origin names the SPA\u2019s origin, so the browser lets the page read ' +
        'the answer; any other origin\u2019s page would get nothing.',
      rfc: 'RFC 7636 §4.6; RFC 6749 §5.1; the Fetch standard\u2019s CORS protocol',
      look: 'Access-Control-Allow-Origin in the answer, the access token.',
    },
    {
      n: 7,
      title: 'The SPA calls the resource server from the browser',
      what:
        'fetch() with Authorization: Bearer. That header is not CORS-safelisted, so the browser first asks the ' +
        'resource server with a preflight OPTIONS; it allows the SPA\u2019s origin, and the call follows.',
      rfc: 'RFC 6750 §2.1; the Fetch standard (CORS preflight)',
      look: 'OPTIONS /resource (Access-Control-Request-Headers: authorization), then GET /resource with its Origin.',
    },
  ],
  place(e, all) {
    const front = placeFrontChannel(e, all)
    if (front) return front
    if (isTokenRequest(e)) return { request: 5, response: 6, from: 'browser', to: 'auth-server' }
    if (e.role === 'resource-server') return { request: 7, response: 7, from: 'browser', to: 'resource-server' }
    if (e.role === 'auth-server' && (pathOf(e) === '/jwks' || pathOf(e) === '/introspect'))
      return { request: 7, response: 7, from: 'resource-server', to: 'auth-server' }
    return undefined
  },
  joins: preflights,
  checks: spaChecks,
  attacks: ['spa-code-without-verifier'],
}

/**
 * The browser's preflight carries no token: it belongs to the resource call
 * from the same origin that followed it.
 */
function preflights(
  members: readonly RecordedExchange[],
  untagged: readonly RecordedExchange[],
): readonly RecordedExchange[] {
  const calls = members.filter((e) => e.role === 'resource-server' && e.request.method !== 'OPTIONS')
  return untagged.filter(
    (e) =>
      e.role === 'resource-server' &&
      e.request.method === 'OPTIONS' &&
      calls.some(
        (call) =>
          requestHeader(call, 'origin') === requestHeader(e, 'origin') &&
          e.startedAt <= call.startedAt &&
          call.startedAt - e.startedAt <= PREFLIGHT_WINDOW_MS,
      ),
  )
}

function spaChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const request = entries.find((x) => x.part !== 'response' && isTokenRequest(x.exchange))?.exchange
  if (request === undefined) return []
  const form = formOf(request)
  const origin = requestHeader(request, 'origin')
  const checks: WalkCheck[] = [
    {
      step: 5,
      ok: requestHeader(request, 'authorization') === undefined && form.get('client_id') !== null,
      text:
        requestHeader(request, 'authorization') === undefined
          ? `No Authorization header: the public client named itself with client_id=${String(form.get('client_id'))} (RFC 6749 §3.2.1).`
          : 'The token request carried an Authorization header: a public client has no secret to send.',
    },
    {
      step: 5,
      ok: form.get('code_verifier') !== null,
      text:
        form.get('code_verifier') !== null
          ? 'The code_verifier went with the code (RFC 7636 §4.5).'
          : 'No code_verifier went with the code (RFC 7636 §4.5).',
    },
    {
      step: 5,
      ok: origin !== undefined,
      text:
        origin !== undefined
          ? `Sent by the browser: Origin ${origin}.`
          : 'No Origin header: this token request was not made by a page in a browser.',
    },
  ]
  const allowed = responseHeader(request, 'access-control-allow-origin')
  if (origin !== undefined)
    checks.push({
      step: 6,
      ok: allowed === origin,
      text:
        allowed === origin
          ? `Access-Control-Allow-Origin: ${origin}: the browser let the page read the token.`
          : `No Access-Control-Allow-Origin for ${origin}: the browser withheld the answer from the page.`,
    })
  if (request.response.status === 200 && responseJson(request)?.access_token === undefined)
    checks.push({ step: 6, ok: false, text: 'The 200 answer carried no access token.' })
  return checks
}
