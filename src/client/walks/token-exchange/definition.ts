// Token exchange (RFC 8693): an API that received a user's access token calls
// a second API on the user's behalf, with a token the authorization server
// issues for that second API in exchange. Here the client app plays "API A"
// (oauth-client-1 has an exchange policy for the MCP server) and the MCP
// server at /mcp is "API B".

import { TOKEN_EXCHANGE_GRANT } from '../../../shared/enumerations.js'
import { decodeJwtParts } from '../../flow/decode.js'
import { formOf, pathOf, responseJson } from '../../flow/http.js'
import { isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry, RecordedExchange, StepNumber } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition, WalkPlacement } from '../walk.js'

export const tokenExchangeWalk: WalkDefinition = {
  name: 'token-exchange',
  title: 'Token exchange',
  summary:
    'An API calling a second API on the user\u2019s behalf. API A received alice\u2019s access token; a token for API A ' +
    'is no good at API B (its audience is wrong), and passing it along would let any API replay it anywhere. So API A ' +
    'exchanges it at the token endpoint for a token for API B: same user, new audience, and with an actor token, a ' +
    'record (act) of who acts for her.',
  rfc: 'RFC 8693 §2, §4.1',
  steps: [
    {
      n: 1,
      title: 'The client app gets alice\u2019s access token',
      what:
        'The authorization code flow, played server-side by the client app\u2019s own small browser (the one Break it ' +
        'uses): sign in as alice, allow, redeem the code. The result is an ordinary access token for the built-in ' +
        'resource server.',
      rfc: 'RFC 6749 §4.1; RFC 9068 §2.2',
      look: 'GET /authorize, POST /login, POST /consent and POST /token: the access token\u2019s aud is the resource server.',
    },
    {
      n: 2,
      title: 'API A receives alice\u2019s token',
      what:
        'The token is sent to API A, the built-in resource server\u2019s /resource, which checks it (signature, issuer, ' +
        'audience, expiry, scope) and accepts it: it was issued for API A.',
      rfc: 'RFC 6750 §2.1; RFC 9068 §4',
      look: 'Authorization: Bearer with alice\u2019s token, and the 200.',
    },
    {
      n: 3,
      title: 'API A exchanges it for a token for API B (impersonation)',
      what:
        'API A authenticates at the token endpoint and sends grant_type=urn:ietf:params:oauth:grant-type:token-exchange, ' +
        'alice\u2019s token as subject_token with its subject_token_type, and the resource it wants a token for. ' +
        'Without an actor token the new token simply stands for alice: impersonation.',
      rfc: 'RFC 8693 §2.1 (request), §2.2.1 (response), §1.1 (impersonation)',
      look: 'The form: grant_type, subject_token, subject_token_type, resource; the answer: issued_token_type, access_token.',
    },
    {
      n: 4,
      title: 'API A exchanges it again with its own token as actor (delegation)',
      what:
        'API A gets a token of its own (client credentials) and sends it as actor_token with the same subject_token. ' +
        'The authorization server checks both and issues a token that says alice is the subject and API A acts for her.',
      rfc: 'RFC 8693 §2.1 (actor_token, actor_token_type), §1.1 (delegation); RFC 6749 §4.4',
      look: 'grant_type=client_credentials first; then the exchange form with actor_token and actor_token_type too.',
    },
    {
      n: 5,
      title: 'The issued token, decoded',
      what:
        'The delegated token\u2019s claims: aud is now API B, sub is still alice, and act names the actor (its sub is ' +
        'API A\u2019s client_id). A resource server can log and decide on who is acting, not only for whom.',
      rfc: 'RFC 8693 §2.2.1, §4.1 (act); RFC 9068 §2.2',
      look: 'The decoded token in the answer: aud, sub, act.',
    },
    {
      n: 6,
      title: 'API B is called with the exchanged token',
      what:
        'API A calls API B, the MCP server at /mcp, with the delegated token. The MCP server checks that the token is ' +
        'for it (its audience) and answers its whoami tool with alice as the subject.',
      rfc: 'RFC 6750 §2.1; RFC 8707 §2 (audience); MCP authorization, token handling',
      look: 'POST /mcp with Authorization: Bearer, the JSON-RPC tools/call, and the 200.',
    },
  ],
  place: placeTokenExchange,
  checks: tokenExchangeChecks,
  attacks: ['token-exchange-audience-not-allowed', 'token-exchange-not-a-token'],
}

type Kind = 'user' | 'impersonation' | 'actor' | 'delegation' | undefined

/** Which token request this is, by its form (RFC 8693 §2.1: an actor_token makes it delegation). */
function tokenKind(e: RecordedExchange): Kind {
  if (!isTokenRequest(e)) return undefined
  const form = formOf(e)
  const grant = form.get('grant_type')
  if (grant === 'authorization_code') return 'user'
  if (grant === 'client_credentials') return 'actor'
  if (grant === TOKEN_EXCHANGE_GRANT) return form.has('actor_token') ? 'delegation' : 'impersonation'
  return undefined
}

const STEP_OF: Record<Exclude<Kind, undefined>, readonly [StepNumber, StepNumber]> = {
  user: [1, 1],
  impersonation: [3, 3],
  actor: [4, 4],
  // The answer holds the token step 5 decodes.
  delegation: [4, 5],
}

function placeTokenExchange(e: RecordedExchange, all: readonly RecordedExchange[]): WalkPlacement | undefined {
  const kind = tokenKind(e)
  if (kind !== undefined)
    return { request: STEP_OF[kind][0], response: STEP_OF[kind][1], from: 'client', to: 'auth-server' }
  if (e.role === 'resource-server') {
    const step = pathOf(e).startsWith('/mcp') ? 6 : 2
    return { request: step, response: step, from: 'client', to: 'resource-server' }
  }
  const path = pathOf(e)
  if (e.role === 'auth-server' && (path === '/jwks' || path === '/introspect')) {
    // The resource server checks a token: the step of its call before this one.
    const call = all.filter((x) => x.role === 'resource-server' && x.startedAt <= e.startedAt).pop()
    const step = call !== undefined && pathOf(call).startsWith('/mcp') ? 6 : 2
    return { request: step, response: step, from: 'resource-server', to: 'auth-server' }
  }
  // The server-side browser's sign-in and consent.
  if (e.role === 'auth-server') return { request: 1, response: 1, from: 'browser', to: 'auth-server' }
  return undefined
}

function claimsOf(entries: readonly FlowEntry[], kind: Kind): Record<string, unknown> | undefined {
  const e = entries.find(
    (x) => x.part !== 'request' && tokenKind(x.exchange) === kind && x.exchange.response.status === 200,
  )
  const token = e === undefined ? undefined : responseJson(e.exchange)?.access_token
  return typeof token === 'string' ? decodeJwtParts(token)?.claims : undefined
}

const audOf = (claims: Record<string, unknown>) =>
  Array.isArray(claims.aud) ? claims.aud.join(' ') : String(claims.aud)

function tokenExchangeChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const user = claimsOf(entries, 'user')
  if (user === undefined) return []
  const checks: WalkCheck[] = []
  for (const [kind, step] of [
    ['impersonation', 3],
    ['delegation', 5],
  ] as const) {
    const issued = claimsOf(entries, kind)
    if (issued === undefined) continue
    const audChanged = audOf(issued) !== audOf(user)
    checks.push({
      step,
      ok: audChanged,
      text: audChanged
        ? `aud changed: ${audOf(user)} \u2192 ${audOf(issued)} (RFC 8693 §2.1: the target of the new token).`
        : `aud did not change (${audOf(issued)}).`,
    })
    const subKept = issued.sub === user.sub
    checks.push({
      step,
      ok: subKept,
      text: subKept
        ? `sub kept: ${String(issued.sub)}, the user the token stands for (RFC 8693 §2.2.1).`
        : `sub changed from ${String(user.sub)} to ${String(issued.sub)}.`,
    })
    const act = issued.act as { sub?: unknown } | undefined
    if (kind === 'impersonation')
      checks.push({
        step,
        ok: act === undefined,
        text:
          act === undefined
            ? 'No act claim: without an actor token the new token simply stands for the user (impersonation, RFC 8693 §1.1).'
            : 'An act claim without an actor token.',
      })
    else
      checks.push({
        step,
        ok: typeof act?.sub === 'string',
        text:
          typeof act?.sub === 'string'
            ? `act present: ${act.sub} acts for ${String(issued.sub)} (delegation, RFC 8693 §4.1).`
            : 'No act claim although an actor token was sent (RFC 8693 §4.1).',
      })
  }
  return checks
}
