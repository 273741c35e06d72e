// Flows of MCP clients (MCP specification 2025-11-25, "Authorization"). An
// MCP client is any client other than the client app whose tokens go to the
// MCP server (`/mcp` on the resource server), or whose authorization request
// names the MCP server as its `resource`. Its flow starts before the
// authorization request, so the exchanges that carry none of its values are
// joined to it here:
// - the calls to /mcp, by the access tokens the flow was issued (as step 7 of
//   the seven steps follows its token);
// - its registration (POST /register), by the client_id that the
//   authorization request names: the first flow of that client_id has it;
// - the discovery (the 401 without a token, the protected resource metadata,
//   the authorization server metadata), which carries nothing of the flow:
//   each such exchange goes to the first MCP flow that starts after it, within
//   DISCOVERY_WINDOW_MS. Two MCP clients discovering at the very same moment
//   can be swapped; the lab says so on the step.

import { endOf, pathOf, queryOf, requestHeader, responseJson } from './http.js'
import { AUTHORIZE_PATHS, isTokenRequest } from './index-exchanges.js'
import type { Group } from './correlate.js'
import type { RecordedExchange } from './types.js'

export interface McpGroup extends Group {
  readonly mcp?: { readonly clientId?: string; readonly stepUpOf?: string }
}

export const MCP_PATH = '/mcp'
const DISCOVERY_WINDOW_MS = 10 * 60_000

/** The access token of a request, sent as Bearer or DPoP (RFC 6750 §2.1, RFC 9449 §7.1). */
export function accessTokenIn(e: RecordedExchange): string | undefined {
  return /^(?:Bearer|DPoP) +(\S+)$/i.exec(requestHeader(e, 'authorization') ?? '')?.[1]
}

export function isMcpCall(e: RecordedExchange): boolean {
  return e.role === 'resource-server' && pathOf(e) === MCP_PATH
}

export function isResourceMetadata(e: RecordedExchange): boolean {
  return e.role === 'resource-server' && pathOf(e).startsWith('/.well-known/oauth-protected-resource')
}

export function isServerMetadata(e: RecordedExchange): boolean {
  const path = pathOf(e)
  return (
    e.role === 'auth-server' &&
    (path.startsWith('/.well-known/oauth-authorization-server') || path.startsWith('/.well-known/openid-configuration'))
  )
}

export function isRegistration(e: RecordedExchange): boolean {
  return e.role === 'auth-server' && (pathOf(e) === '/register' || pathOf(e).startsWith('/register/'))
}

/** The discovery of an MCP client: nothing in it names the flow (MCP authorization, Authorization Server Discovery). */
function isDiscovery(e: RecordedExchange): boolean {
  return (isMcpCall(e) && accessTokenIn(e) === undefined) || isResourceMetadata(e) || isServerMetadata(e)
}

export function authorizeOf(exchanges: readonly RecordedExchange[]): RecordedExchange | undefined {
  return exchanges.find((e) => e.role === 'auth-server' && e.request.method === 'GET' && AUTHORIZE_PATHS.has(pathOf(e)))
}

function namesMcpServer(resource: string | null): boolean {
  if (resource === null || !URL.canParse(resource)) return false
  return new URL(resource).pathname === MCP_PATH
}

function issuedTokens(exchanges: readonly RecordedExchange[]): string[] {
  return exchanges.filter(isTokenRequest).flatMap((e) => {
    const token = responseJson(e)?.access_token
    return typeof token === 'string' ? [token] : []
  })
}

/** The groups, with MCP flows marked and given the exchanges only an MCP client makes. */
export function withMcpChains(
  groups: readonly Group[],
  untagged: readonly RecordedExchange[],
  /** Flows that count only if they are an MCP client's (authorization requests without state). */
  candidates: readonly Group[] = [],
): McpGroup[] {
  const calls = new Map<string, RecordedExchange[]>()
  for (const e of untagged) {
    const token = isMcpCall(e) ? accessTokenIn(e) : undefined
    if (token === undefined) continue
    const list = calls.get(token)
    if (list) list.push(e)
    else calls.set(token, [e])
  }
  const taken = new Set(groups.flatMap((g) => g.exchanges))
  const candidate = new Set(candidates)
  const jwks = untagged.filter((e) => e.role === 'auth-server' && pathOf(e) === '/jwks')
  const registered = new Set<string>()
  const chains: Array<{ group: Group; members: Set<RecordedExchange>; clientId?: string; start: number }> = []
  const result: McpGroup[] = [...groups, ...candidates].sort(byStart).flatMap((group) => {
    const chain = mcpMembers(group, calls, untagged, jwks, registered)
    if (chain === undefined) return candidate.has(group) ? [] : [group]
    for (const e of chain.members) taken.add(e)
    chains.push({ group, ...chain })
    return [group]
  })
  // Discovery: each exchange to the first MCP flow that starts after it.
  const ordered = [...chains].sort((a, b) => a.start - b.start)
  for (const e of untagged) {
    if (taken.has(e) || !isDiscovery(e)) continue
    const chain = ordered.find((c) => c.start >= e.startedAt && c.start - e.startedAt <= DISCOVERY_WINDOW_MS)
    chain?.members.add(e)
  }
  return result.map((group) => {
    const chain = chains.find((c) => c.group === group)
    if (chain === undefined) return group
    const stepUpOf = ordered.find(
      (c) =>
        c !== chain &&
        c.clientId === chain.clientId &&
        c.start < chain.start &&
        hadScopeChallenge(c.members, chain.start),
    )?.group.id
    return {
      ...group,
      exchanges: untagged.filter((e) => chain.members.has(e)),
      mcp: { ...(chain.clientId === undefined ? {} : { clientId: chain.clientId }), ...(stepUpOf ? { stepUpOf } : {}) },
    }
  })
}

const byStart = (a: Group, b: Group) => (a.exchanges[0]?.startedAt ?? 0) - (b.exchanges[0]?.startedAt ?? 0)

function mcpMembers(
  group: Group,
  calls: ReadonlyMap<string, RecordedExchange[]>,
  untagged: readonly RecordedExchange[],
  jwks: readonly RecordedExchange[],
  registered: Set<string>,
): { members: Set<RecordedExchange>; clientId?: string; start: number } | undefined {
  // The client app's own flows keep the seven steps; Break-it's tagged flows too.
  if (group.kind !== 'browser' || group.exchanges.some((e) => e.role === 'client')) return undefined
  const authorize = authorizeOf(group.exchanges)
  const uses = issuedTokens(group.exchanges).flatMap((token) => calls.get(token) ?? [])
  if (uses.length === 0 && !namesMcpServer(authorize ? queryOf(authorize).get('resource') : null)) return undefined
  const members = new Set([...group.exchanges, ...uses])
  // The keys fetched while a call was checked belong to that call.
  for (const e of jwks) if (uses.some((call) => within(e, call))) members.add(e)
  const clientId = authorize ? (queryOf(authorize).get('client_id') ?? undefined) : undefined
  if (clientId !== undefined && !registered.has(clientId)) {
    const registration = untagged.filter((e) => isRegistration(e) && registrationClientId(e) === clientId)
    if (registration.length > 0) registered.add(clientId)
    for (const e of registration) members.add(e)
  }
  const start = Math.min(...[...members].map((e) => e.startedAt))
  return { members, start, ...(clientId === undefined ? {} : { clientId }) }
}

/** The client_id a registration exchange is about: RFC 7591 §3.2.1 answer, or RFC 7592's /register/<client_id>. */
export function registrationClientId(e: RecordedExchange): string | undefined {
  const path = pathOf(e)
  if (path.startsWith('/register/')) return decodeURIComponent(path.slice('/register/'.length))
  const id = responseJson(e)?.client_id
  return typeof id === 'string' ? id : undefined
}

function within(inner: RecordedExchange, outer: RecordedExchange): boolean {
  return inner.startedAt >= outer.startedAt - 1 && inner.startedAt <= endOf(outer) + 1
}

/** A 403 insufficient_scope at the MCP server before `before` (MCP authorization: Scope Challenge Handling). */
export function isScopeChallenge(e: RecordedExchange): boolean {
  const challenge = e.response.headers.find(([name]) => name.toLowerCase() === 'www-authenticate')?.[1] ?? ''
  return isMcpCall(e) && e.response.status === 403 && challenge.includes('insufficient_scope')
}

function hadScopeChallenge(members: ReadonlySet<RecordedExchange>, before: number): boolean {
  return [...members].some((e) => isScopeChallenge(e) && e.startedAt <= before)
}
