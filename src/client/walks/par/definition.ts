// Pushed authorization requests (RFC 9126): the client sends its
// authorization request on the back channel, authenticated, and the browser
// carries only client_id and a one-time request_uri to the authorization server.

import { decodeBasic } from '../../flow/decode.js'
import { formOf, hiddenInput, locationParams, pathOf, queryOf, requestHeader, responseJson } from '../../flow/http.js'
import { AUTHORIZE_PATHS, isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry, RecordedExchange } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition, WalkPlacement } from '../walk.js'

const PAR_PATH = '/par'

export const parWalk: WalkDefinition = {
  name: 'par',
  title: 'Pushed authorization requests',
  summary:
    'The authorization code flow with its authorization request pushed first: the client app POSTs every parameter ' +
    '(scope, redirect_uri, state, the PKCE challenge) to the authorization server on the back channel, authenticated ' +
    'as itself, and gets a short-lived, one-time request_uri. The browser then carries only client_id and that ' +
    'request_uri: nothing in the front channel can be read or changed, and the request was checked before the user saw it.',
  rfc: 'RFC 9126 §2, §4; RFC 6749 §4.1',
  steps: [
    {
      n: 1,
      title: 'The client app pushes the authorization request',
      what:
        'On the back channel, the client app POSTs the whole authorization request to /par: response_type, client_id, ' +
        'redirect_uri, scope, state and the PKCE code_challenge, authenticating with HTTP Basic as at the token ' +
        'endpoint. The request is now authenticated, and out of the browser\u2019s reach.',
      rfc: 'RFC 9126 §2.1 (the pushed authorization request), §2 (client authentication); RFC 7636 §4.3',
      look: 'Authorization: Basic, and the form: every parameter an authorization URL would otherwise carry.',
    },
    {
      n: 2,
      title: 'The authorization server answers with a request_uri',
      what:
        'The authorization server validates the request as /authorize would, stores it, and answers 201 Created with ' +
        'a request_uri (a reference to the stored request) and expires_in, its short lifetime.',
      rfc: 'RFC 9126 §2.2 (successful response), §2.3 (error response)',
      look: 'The JSON answer: request_uri (urn:ietf:params:oauth:request_uri:\u2026) and expires_in.',
    },
    {
      n: 3,
      title: 'The browser carries only client_id and request_uri',
      what:
        'The client app redirects your browser to the authorization endpoint with two parameters only. No scope, no ' +
        'redirect_uri, no state travel in the URL: the authorization server reads them from the pushed request. The ' +
        'request_uri works once, and only for the client that pushed it.',
      rfc: 'RFC 9126 §4 (authorization request), §2.2 (one-time use), §7.3',
      look: 'The GET /authorize URL: client_id and request_uri, nothing else.',
    },
    {
      n: 4,
      title: 'Sign-in and consent, as usual',
      what:
        'The authorization server shows its login page and its consent page for the pushed request. After sign-in it ' +
        'resumes the request under a fresh request_uri only it has minted, so the first one stays used.',
      rfc: 'RFC 6749 §3.1, §4.1.1; RFC 9126 §4',
      look: 'POST /login and POST /consent; the resumed GET /authorize still carries only client_id and a request_uri.',
    },
    {
      n: 5,
      title: 'The code comes back to the callback',
      what:
        'The authorization server redirects your browser to the redirect_uri that was pushed, with the code, the ' +
        'pushed state and iss. The client app checks that state is the one it pushed and that iss names its ' +
        'authorization server before it uses the code.',
      rfc: 'RFC 6749 §4.1.2, §10.12 (state); RFC 9207 §2.4 (iss)',
      look: 'The Location back to /authenticated: code, the pushed state, and iss.',
    },
    {
      n: 6,
      title: 'The client app redeems the code',
      what:
        'On the back channel, the client app POSTs the code, the pushed redirect_uri and the PKCE code_verifier to the ' +
        'token endpoint with HTTP Basic, and gets its access token.',
      rfc: 'RFC 6749 §4.1.3, §5.1; RFC 7636 §4.5, §4.6',
      look: 'The form: grant_type=authorization_code, code, redirect_uri, code_verifier; the JSON answer with access_token.',
    },
    {
      n: 7,
      title: 'The client app calls the resource server',
      what: 'The client app sends the access token as Authorization: Bearer; the resource server checks it and answers.',
      rfc: 'RFC 6750 §2.1; RFC 9068 §4',
      look: 'Authorization: Bearer, and the resource server\u2019s 200.',
    },
  ],
  place: placePar,
  checks: parChecks,
  joins: joinPar,
  attacks: ['par-request-uri-replayed', 'par-request-uri-other-client'],
}

const isAuthorize = (e: RecordedExchange) => e.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(e))
const isPar = (e: RecordedExchange) => e.role === 'auth-server' && e.request.method === 'POST' && pathOf(e) === PAR_PATH

function placePar(e: RecordedExchange, all: readonly RecordedExchange[]): WalkPlacement | undefined {
  if (isPar(e)) return { request: 1, response: 2, from: 'client', to: 'auth-server' }
  if (isTokenRequest(e)) return { request: 6, response: 6, from: 'client', to: 'auth-server' }
  if (e.role === 'resource-server') return { request: 7, response: 7, from: 'client', to: 'resource-server' }
  if (e.role !== 'auth-server') return undefined
  const path = pathOf(e)
  if (path === '/jwks' || path === '/introspect')
    return { request: 7, response: 7, from: 'resource-server', to: 'auth-server' }
  // The redirect that carries the code back (RFC 6749 §4.1.2) answers step 5.
  const back = locationParams(e).has('code') || locationParams(e).has('error') ? 5 : 4
  if (isAuthorize(e) && all.find(isAuthorize) === e)
    return {
      request: 3,
      response: back === 5 ? 5 : e.response.status >= 400 ? 3 : 4,
      from: 'browser',
      to: 'auth-server',
    }
  return { request: 4, response: back, from: 'browser', to: 'auth-server' }
}

/**
 * The browser's requests carry no state (it was pushed) and no flow tag: they
 * are found through the request_uri the walk pushed, then the login and
 * consent pages' `interaction`, then the request_uri the sign-in resumes under.
 */
function joinPar(members: readonly RecordedExchange[], untagged: readonly RecordedExchange[]): RecordedExchange[] {
  const requestUris = new Set<string>()
  const interactions = new Set<string>()
  const learn = (e: RecordedExchange) => {
    const pushed = isPar(e) ? responseJson(e)?.request_uri : undefined
    if (typeof pushed === 'string') requestUris.add(pushed)
    const resumed = locationParams(e).get('request_uri')
    if (resumed) requestUris.add(resumed)
    const interaction = hiddenInput(e, 'interaction')
    if (interaction) interactions.add(interaction)
  }
  members.forEach(learn)
  const joined: RecordedExchange[] = []
  const candidates = untagged.filter((e) => e.role === 'auth-server')
  // Each pass joins at least one exchange or stops: at most one pass per candidate.
  for (let pass = 0; pass <= candidates.length; pass++) {
    const found = candidates.filter((e) => !joined.includes(e) && belongs(e, requestUris, interactions))
    if (found.length === 0) break
    for (const e of found) {
      joined.push(e)
      learn(e)
    }
  }
  return joined
}

function belongs(e: RecordedExchange, requestUris: ReadonlySet<string>, interactions: ReadonlySet<string>): boolean {
  if (isAuthorize(e)) return requestUris.has(queryOf(e).get('request_uri') ?? '')
  const path = pathOf(e)
  if (e.request.method === 'POST' && (path === '/login' || path === '/consent'))
    return interactions.has(formOf(e).get('interaction') ?? '')
  return false
}

function parChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const exchanges = [...new Set(entries.map((x) => x.exchange))]
  const par = exchanges.find((e) => isPar(e) && e.response.status === 201)
  if (par === undefined) return []
  const checks: WalkCheck[] = []
  const client = decodeBasic(requestHeader(par, 'authorization'))
  checks.push({
    step: 1,
    ok: client !== undefined,
    text:
      client !== undefined
        ? `The pushed request was authenticated with HTTP Basic as ${client.clientId} (RFC 9126 §2).`
        : 'The pushed request carried no HTTP Basic credentials.',
  })
  const requestUri = responseJson(par)?.request_uri
  const front = exchanges.filter(isAuthorize)
  const first = front[0]
  if (first !== undefined) {
    const names = [...new Set(queryOf(first).keys())].sort()
    const bare = names.join(' ') === 'client_id request_uri'
    checks.push({
      step: 3,
      ok: bare,
      text: bare
        ? 'The front channel carried only client_id and request_uri: no scope, redirect_uri or state in the URL (RFC 9126 §4).'
        : `The front channel carried ${names.join(', ')}, more than client_id and request_uri.`,
    })
  }
  if (typeof requestUri === 'string' && front.length > 0) {
    const uses = front.filter((e) => queryOf(e).get('request_uri') === requestUri).length
    checks.push({
      step: 4,
      ok: uses === 1,
      text:
        uses === 1
          ? 'The pushed request_uri was used once; the sign-in resumed under a fresh one the server minted (RFC 9126 §2.2, §4).'
          : `The pushed request_uri was presented ${uses} times.`,
    })
  }
  const pushedState = formOf(par).get('state')
  const callback = exchanges.find((e) => e.role === 'client' && pathOf(e) === '/authenticated')
  if (callback !== undefined && pushedState !== null) {
    const same = queryOf(callback).get('state') === pushedState
    checks.push({
      step: 5,
      ok: same,
      text: same
        ? 'The state at the callback is the one pushed in step 1, though it never crossed the front channel (RFC 6749 §10.12).'
        : 'The state at the callback is not the one pushed in step 1.',
    })
  }
  return checks
}
