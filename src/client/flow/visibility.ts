// Who sees which flow. The inspector shows a browser only the flows it took
// part in; the lab key's holder sees every flow. A browser is known by its
// `oauth_lab_browser` cookie, which every server records as a hash with each
// exchange (shared/flow-recorder.ts).
//
// For one browser, the exchanges are filtered BEFORE they are grouped into
// flows, so another browser's exchanges can never pull anything into its view:
// - its own exchanges (recorded with its hash) are kept;
// - another browser's are dropped, even in a flow they share (someone who
//   handed out an authorization URL with their own state must not see the
//   password typed by whoever followed it);
// - exchanges of no browser are kept only when they are back channel (token,
//   introspection, revocation, keys, the resource: joined to a flow only
//   through its own code and tokens), or tagged with a Break-it flow that this
//   browser started. A front-channel exchange without a browser cookie (a
//   script, or a browser that never started a flow) is nobody's.

import { correlate, tagId } from './correlate.js'
import { FLOW_HEADER, pathOf, requestHeader, responseHeader } from './http.js'
import { TOKEN_PATHS } from './index-exchanges.js'
import type { Flow, RecordedExchange } from './types.js'

export type Viewer =
  /** The lab key's holder: every flow. */
  | { readonly kind: 'all' }
  /** A browser with an id: `browser` is the hash its exchanges are recorded under. */
  | { readonly kind: 'browser'; readonly browser: string }
  /** A browser that started no flow (no id): nothing. */
  | { readonly kind: 'none' }

const BACK_CHANNEL = new Set([...TOKEN_PATHS, '/introspect', '/revoke', '/jwks'])

/**
 * An MCP client's discovery at the authorization server (RFC 8414 metadata):
 * public, and joined to a flow only beside that flow's own authorization
 * request (mcp-chain.ts). Its registration (POST /register) is not: its answer
 * holds the client's secret and registration access token, and anyone can
 * start an authorization request with another client's client_id.
 */
const MCP_DISCOVERY = /^\/\.well-known\/(oauth-authorization-server|openid-configuration)(\/|$)/

export function isBackChannel(e: RecordedExchange): boolean {
  return (
    e.role === 'resource-server' ||
    (e.role === 'auth-server' && (BACK_CHANNEL.has(pathOf(e)) || MCP_DISCOVERY.test(pathOf(e))))
  )
}

/**
 * The Break-it flows a browser started: the client app answers its POST
 * /break/<attack> with `x-oauth-lab-flow: <flow id>` (a response header: a
 * browser cannot forge it).
 */
function startedTags(exchanges: readonly RecordedExchange[], browser: string): Set<string> {
  const tags = new Set<string>()
  for (const e of exchanges) {
    if (e.browser !== browser || e.role !== 'client') continue
    const tag = responseHeader(e, FLOW_HEADER)
    if (tag !== undefined) tags.add(tagId(tag))
  }
  return tags
}

function visibleTo(e: RecordedExchange, browser: string, tags: ReadonlySet<string>): boolean {
  if (e.browser !== undefined) return e.browser === browser
  const tag = requestHeader(e, FLOW_HEADER)
  return tag === undefined ? isBackChannel(e) : tags.has(tagId(tag))
}

/** The flows `viewer` may see, oldest first. */
export function flowsFor(exchanges: readonly RecordedExchange[], viewer: Viewer): Flow[] {
  if (viewer.kind === 'all') return correlate(exchanges)
  if (viewer.kind === 'none') return []
  const { browser } = viewer
  const tags = startedTags(exchanges, browser)
  const flows = correlate(exchanges.filter((e) => visibleTo(e, browser, tags)))
  // A flow is this browser's when it took part in it, or started it from Break it.
  return flows.filter(
    (flow) => (flow.kind === 'tagged' && tags.has(flow.id)) || flow.entries.some((x) => x.exchange.browser === browser),
  )
}

/** What changes when a viewer's flows change: the live stream tells a page only then. */
export function flowsFingerprint(flows: readonly Flow[]): string {
  return flows.map((flow) => `${flow.id}:${flow.entries.length}`).join(',')
}
