// Places each exchange of an MCP client's flow under the MCP chain's steps
// (mcp-steps.ts), and checks what the MCP authorization spec (2025-11-25)
// requires of the client: resource on both requests (RFC 8707), PKCE S256
// (RFC 7636), and tokens used only at the server they were issued for.

import { s256Challenge } from '../../shared/sha256.js'
import { decodeJwtParts } from './decode.js'
import { formOf, pathOf, queryOf, responseJson } from './http.js'
import { isTokenRequest } from './index-exchanges.js'
import { flowChecks } from './checks.js'
import { describeRequest, describeResponse, statusLine } from './labels.js'
import {
  accessTokenIn,
  authorizeOf,
  isMcpCall,
  isRegistration,
  isResourceMetadata,
  isScopeChallenge,
  isServerMetadata,
  MCP_PATH,
  type McpGroup,
} from './mcp-chain.js'
import type { Actor, Flow, FlowEntry, McpCheck, McpFlowInfo, RecordedExchange, StepNumber } from './types.js'

export function buildMcpFlow(group: McpGroup): Flow {
  const entries = group.exchanges
    .map((e) => entryOf(e))
    .sort((a, b) => a.at - b.at || a.exchange.startedAt - b.exchange.startedAt)
  return {
    id: group.id,
    kind: group.kind,
    startedAt: group.exchanges[0]?.startedAt ?? 0,
    entries,
    skipped: skippedSteps(group, entries),
    checks: flowChecks(entries),
    mcp: mcpInfo(group, entries),
  }
}

function stepOf(e: RecordedExchange): StepNumber {
  if (isMcpCall(e)) return accessTokenIn(e) === undefined ? 1 : 7
  if (isResourceMetadata(e)) return 2
  if (isServerMetadata(e)) return 3
  if (isRegistration(e)) return 4
  if (isTokenRequest(e)) return 6
  if (e.role === 'auth-server' && (pathOf(e) === '/jwks' || pathOf(e) === '/introspect')) return 7
  return 5
}

function actorsOf(e: RecordedExchange, step: StepNumber): { from: Actor; to: Actor } {
  if (e.role === 'resource-server') return { from: 'client', to: 'resource-server' }
  if (step === 7) return { from: 'resource-server', to: 'auth-server' }
  // The authorization endpoint, sign-in and consent are the user's browser; the rest the MCP client.
  return { from: step === 5 ? 'browser' : 'client', to: 'auth-server' }
}

function entryOf(e: RecordedExchange): FlowEntry {
  const step = stepOf(e)
  return { exchange: e, step, part: 'both', ...actorsOf(e, step), at: e.startedAt, label: labelOf(e, step) }
}

function labelOf(e: RecordedExchange, step: StepNumber): string {
  const line = `${e.request.method} ${pathOf(e)}`
  const answer = statusLine(e.response.status)
  const rpc = step === 7 || step === 1 ? jsonRpcMethod(e) : undefined
  const what: Partial<Record<StepNumber, string>> = {
    1: `the MCP client calls ${rpc ?? 'the MCP server'} without a token`,
    2: 'the MCP client reads the protected resource metadata (RFC 9728)',
    3: 'the MCP client reads the authorization server metadata (RFC 8414)',
    4:
      e.request.method === 'POST'
        ? 'the MCP client registers itself (RFC 7591)'
        : 'the client\u2019s registration (RFC 7592)',
    6: 'the MCP client redeems the code',
  }
  if (step === 7 && isMcpCall(e)) return `${line}: ${rpc ?? 'an MCP request'} with the access token \u2192 ${answer}`
  const text = what[step]
  return text === undefined ? describeRequest(e, 'both') : `${line}: ${text} \u2192 ${describeResponse(e)}`
}

/** The JSON-RPC method of an MCP request (tools/list, tools/call whoami…), for the label. */
function jsonRpcMethod(e: RecordedExchange): string | undefined {
  try {
    const body: unknown = JSON.parse(e.request.body ?? '')
    const one = (Array.isArray(body) ? (body as unknown[])[0] : body) as {
      method?: unknown
      params?: { name?: unknown }
    }
    if (typeof one.method !== 'string') return undefined
    return typeof one.params?.name === 'string' ? `${one.method} ${one.params.name}` : one.method
  } catch {
    return undefined
  }
}

function skippedSteps(group: McpGroup, entries: readonly FlowEntry[]): Flow['skipped'] {
  const has = (step: StepNumber) => entries.some((e) => e.step === step)
  const skipped: Partial<Record<StepNumber, string>> = {}
  const clientId = group.mcp?.clientId
  if (!has(4) && clientId !== undefined) {
    skipped[4] =
      URL.canParse(clientId) && /^https?:$/.test(new URL(clientId).protocol)
        ? `No registration: the client_id is the URL of a Client ID Metadata Document (${clientId}). The authorization server fetched it during the authorization request (step 5), checked that its client_id is that URL and that it lists the redirect_uri (MCP authorization: Client ID Metadata Documents).`
        : `No registration in this flow: the client already had its client_id (${clientId}), from an earlier registration or given to it (MCP authorization: Client Registration Approaches).`
  }
  if (!has(1) && !has(2) && has(5))
    skipped[1] =
      'Not seen: the client already knew where to go (an earlier flow\u2019s discovery, or its own configuration), or its discovery was made too long before this flow to be tied to it.'
  return skipped
}

function mcpInfo(group: McpGroup, entries: readonly FlowEntry[]): McpFlowInfo {
  const exchanges = [...new Set(entries.map((e) => e.exchange))]
  const notes: Partial<Record<StepNumber, string>> = {}
  const challenge = exchanges.find(isScopeChallenge)
  if (challenge)
    notes[7] = `Step-up: the MCP server answered 403 insufficient_scope (${scopeOf(challenge) ?? 'a wider scope'}). The client must ask for a new authorization with the scope the challenge names, as a new flow (MCP authorization: Scope Challenge Handling, Step-Up Authorization Flow; RFC 6750 §3.1).`
  if (group.mcp?.stepUpOf !== undefined)
    notes[5] = `Step-up: this authorization follows a 403 insufficient_scope in flow ${group.mcp.stepUpOf}; the client asks again, with the wider scope (MCP authorization: Step-Up Authorization Flow).`
  return {
    ...(group.mcp?.clientId === undefined ? {} : { clientId: group.mcp.clientId }),
    checks: mcpChecks(exchanges),
    notes,
  }
}

function scopeOf(e: RecordedExchange): string | undefined {
  const challenge = e.response.headers.find(([name]) => name.toLowerCase() === 'www-authenticate')?.[1] ?? ''
  return /scope="([^"]*)"/.exec(challenge)?.[1]
}

/** What the MCP client must do, ✓ or ✗, under the step where it shows. */
export function mcpChecks(exchanges: readonly RecordedExchange[]): McpCheck[] {
  const checks: McpCheck[] = []
  const authorize = authorizeOf(exchanges)
  const resourceDoc = exchanges.filter(isResourceMetadata).map((e) => responseJson(e)?.resource)
  const identifier = resourceDoc.find((r): r is string => typeof r === 'string')
  if (authorize) {
    const query = queryOf(authorize)
    const resource = query.get('resource')
    checks.push(
      resource === null
        ? {
            id: 'resource',
            step: 5,
            ok: false,
            text: 'no resource parameter in the authorization request: the MCP client must name the MCP server it wants a token for (RFC 8707 §2; MCP authorization: Resource Parameter Implementation)',
          }
        : {
            id: 'resource',
            step: 5,
            ok: identifier === undefined || resource === identifier,
            text:
              identifier === undefined || resource === identifier
                ? `the authorization request names the MCP server as its resource: ${resource} (RFC 8707 §2)`
                : `the authorization request names ${resource}, not the MCP server\u2019s identifier ${identifier} (RFC 8707 §2)`,
          },
    )
    const method = query.get('code_challenge_method')
    const sent = query.get('code_challenge') !== null && method === 'S256'
    checks.push({
      id: 'pkce-sent',
      step: 5,
      ok: sent,
      text: sent
        ? 'PKCE: a code_challenge with code_challenge_method=S256 (RFC 7636 §4.3; MCP authorization: Authorization Code Protection)'
        : `no PKCE S256 in the authorization request${method === null ? '' : ` (code_challenge_method=${method})`}: MCP clients must use it (RFC 7636 §4.3; MCP authorization: Authorization Code Protection)`,
    })
  }
  const tokenRequest = exchanges.find((e) => isTokenRequest(e) && formOf(e).get('grant_type') === 'authorization_code')
  if (tokenRequest) {
    const form = formOf(tokenRequest)
    const resource = form.get('resource')
    checks.push({
      id: 'token-resource',
      step: 6,
      ok: resource !== null,
      text:
        resource === null
          ? 'no resource parameter in the token request: the MCP client must send it there too (RFC 8707 §2.2; MCP authorization: Resource Parameter Implementation)'
          : `the token request names the resource again: ${resource} (RFC 8707 §2.2)`,
    })
    const challenge = authorize ? queryOf(authorize).get('code_challenge') : null
    const verifier = form.get('code_verifier')
    if (challenge !== null && verifier !== null) {
      const ok = s256Challenge(verifier) === challenge
      checks.push({
        id: 'pkce',
        step: 6,
        ok,
        text: ok
          ? 'BASE64URL(SHA-256(code_verifier)) is the code_challenge of the authorization request (RFC 7636 §4.6)'
          : 'the code_verifier does not hash to the code_challenge of the authorization request (RFC 7636 §4.6)',
      })
    }
  }
  checks.push(...audienceChecks(exchanges, identifier))
  return checks
}

/** One line per token used at the MCP server: was it issued for it? (RFC 8707 §2, RFC 9068 §4; MCP authorization: Token Audience Binding and Validation) */
function audienceChecks(exchanges: readonly RecordedExchange[], identifier: string | undefined): McpCheck[] {
  const seen = new Set<string>()
  const checks: McpCheck[] = []
  for (const call of exchanges.filter((e) => isMcpCall(e) && accessTokenIn(e) !== undefined)) {
    const token = accessTokenIn(call)!
    if (seen.has(token)) continue
    seen.add(token)
    const claims = decodeJwtParts(token)?.claims
    if (claims === undefined) continue
    const audience = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : []
    const expected = identifier ?? mcpUrlOf(call)
    const ok = audience.includes(expected)
    const refused = call.response.status === 401 ? ' The MCP server refused it: 401 invalid_token.' : ''
    checks.push({
      id: 'audience',
      step: 7,
      ok,
      text: ok
        ? `the access token\u2019s aud is the MCP server (${expected}): issued for it, accepted only by it (RFC 8707 §2; MCP authorization: Token Audience Binding and Validation)`
        : `the access token sent to the MCP server was issued for another audience (aud ${audience.map(String).join(', ') || 'none'}, not ${expected}).${refused} (RFC 8707 §2, RFC 9068 §4; MCP authorization: Token Audience Binding and Validation)`,
    })
  }
  return checks
}

/** The MCP server's URL as the call's Host names it, when no metadata document said. */
function mcpUrlOf(call: RecordedExchange): string {
  const host = call.request.headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? 'localhost'
  return `http://${host}${MCP_PATH}`
}
