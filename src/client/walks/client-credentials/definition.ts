// Client credentials (RFC 6749 §4.4): a client acting on its own behalf, with
// no user and no browser: a service, a batch job, a CLI with its own secret.

import { decodeJwtParts } from '../../flow/decode.js'
import { pathOf, responseJson } from '../../flow/http.js'
import { isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition } from '../walk.js'

export const clientCredentialsWalk: WalkDefinition = {
  name: 'client-credentials',
  title: 'Client credentials',
  summary:
    'A client that acts for itself, not for a user: a back-end service, a nightly job, a CLI with a secret of its own. ' +
    'There is no browser, no sign-in and no consent: the client authenticates at the token endpoint and gets a token ' +
    'for itself.',
  rfc: 'RFC 6749 §4.4',
  steps: [
    {
      n: 1,
      title: 'The client authenticates at the token endpoint',
      what:
        'The client POSTs grant_type=client_credentials and the scope it wants to the token endpoint, authenticating ' +
        'with HTTP Basic (its client_id and client_secret). No code, no redirect: nothing comes from a user.',
      rfc: 'RFC 6749 §4.4.2 (access token request), §2.3.1 (HTTP Basic)',
      look: 'Authorization: Basic (the client\u2019s own credentials) and the form: grant_type=client_credentials, scope.',
    },
    {
      n: 2,
      title: 'The authorization server issues an access token for the client itself',
      what:
        'The token endpoint answers 200 with an access token whose subject is the client, not a user. It issues no ' +
        'refresh token: the client can authenticate again whenever it needs a new token.',
      rfc: 'RFC 6749 §4.4.3 (a refresh token SHOULD NOT be included), §5.1; RFC 9068 §2.2 (sub)',
      look: 'The JSON answer: access_token, token_type Bearer, expires_in, scope, and no refresh_token; the token\u2019s sub is the client_id.',
    },
    {
      n: 3,
      title: 'The client calls the resource server with the token',
      what:
        'The client sends the token as Authorization: Bearer. The resource server checks it as any other token: ' +
        'signature, issuer, audience, expiry and scope. Its answer names the client as the subject.',
      rfc: 'RFC 6750 §2.1; RFC 9068 §4 (validating JWT access tokens)',
      look: 'Authorization: Bearer, and the resource server\u2019s answer: sub is the client, not a user.',
    },
  ],
  place(e) {
    if (isTokenRequest(e)) return { request: 1, response: 2, from: 'client', to: 'auth-server' }
    if (e.role === 'resource-server') return { request: 3, response: 3, from: 'client', to: 'resource-server' }
    if (e.role === 'auth-server' && (pathOf(e) === '/jwks' || pathOf(e) === '/introspect'))
      return { request: 3, response: 3, from: 'resource-server', to: 'auth-server' }
    return undefined
  },
  checks: clientCredentialsChecks,
  attacks: ['client-credentials-public-client'],
}

function clientCredentialsChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const answer = entries.find(
    (x) => x.part !== 'request' && isTokenRequest(x.exchange) && x.exchange.response.status === 200,
  )
  const json = answer === undefined ? undefined : responseJson(answer.exchange)
  if (json === undefined) return []
  const checks: WalkCheck[] = [
    {
      step: 2,
      ok: json.refresh_token === undefined,
      text:
        json.refresh_token === undefined
          ? 'No refresh token: a client that holds its own secret asks again instead (RFC 6749 §4.4.3).'
          : 'A refresh token came with a client credentials grant, which RFC 6749 §4.4.3 says should not be issued.',
    },
  ]
  const token = typeof json.access_token === 'string' ? decodeJwtParts(json.access_token) : undefined
  if (token !== undefined) {
    const { sub, client_id: clientId } = token.claims
    checks.push({
      step: 2,
      ok: sub === clientId,
      text:
        sub === clientId
          ? `The token\u2019s sub is the client itself (${String(sub)}): no user took part (RFC 9068 §2.2).`
          : `The token\u2019s sub (${String(sub)}) is not the client (${String(clientId)}).`,
    })
  }
  return checks
}
