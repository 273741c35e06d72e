// Maps from the values a flow carries to the exchanges that carry them, so
// correlation stays linear in the number of exchanges.

import { bearerToken, endOf, formOf, locationParams, pathOf, queryOf } from './http.js'
import type { RecordedExchange } from './types.js'

export interface ExchangeIndex {
  /** Each state once, in the order its flow started. */
  readonly states: readonly string[]
  readonly connects: Map<string, RecordedExchange[]>
  readonly authorizes: Map<string, RecordedExchange[]>
  /** POST /login and POST /consent by their `interaction` field. */
  readonly interactionPosts: Map<string, RecordedExchange[]>
  readonly callbacks: Map<string, RecordedExchange[]>
  /** POST /token by the code it redeems. */
  readonly tokenRequests: Map<string, RecordedExchange[]>
  readonly resourceCalls: Map<string, RecordedExchange[]>
  readonly introspections: Map<string, RecordedExchange[]>
  readonly jwksFetches: RecordedExchange[]
  /** POST /fetch-resource and step-through's POST /fetch-resource/send. */
  readonly fetchResourcePages: RecordedExchange[]
  /** Step-through's POST /authenticated/send: step 5 sent on the teacher's click. */
  readonly sendPages: RecordedExchange[]
  /** The client's POST /fetch-resource during which each GET /resource was made. */
  readonly pageOfCall: Map<RecordedExchange, RecordedExchange>
}

export const AUTHORIZE_PATHS = new Set(['/authorize', '/site/oauth2/authorize'])
export const TOKEN_PATHS = new Set(['/token', '/site/oauth2/access_token'])

export function isTokenRequest(e: RecordedExchange): boolean {
  return e.role === 'auth-server' && e.request.method === 'POST' && TOKEN_PATHS.has(pathOf(e))
}

function push(map: Map<string, RecordedExchange[]>, key: string | null | undefined, e: RecordedExchange): void {
  if (key === null || key === undefined || key === '') return
  const list = map.get(key)
  if (list) list.push(e)
  else map.set(key, [e])
}

/** `exchanges` sorted by time. */
export function buildIndex(exchanges: readonly RecordedExchange[]): ExchangeIndex {
  const index: ExchangeIndex & { states: string[] } = {
    states: [],
    connects: new Map(),
    authorizes: new Map(),
    interactionPosts: new Map(),
    callbacks: new Map(),
    tokenRequests: new Map(),
    resourceCalls: new Map(),
    introspections: new Map(),
    jwksFetches: [],
    fetchResourcePages: [],
    sendPages: [],
    pageOfCall: new Map(),
  }
  for (const e of exchanges) {
    if (e.role === 'client') indexClient(index, e)
    else if (e.role === 'auth-server') indexAuthServer(index, e)
    else if (pathOf(e) === '/resource') push(index.resourceCalls, bearerToken(e), e)
  }
  const states = new Set([...index.connects.keys(), ...index.authorizes.keys()])
  // Each state is a key of one of the two maps, and push() never leaves a list empty: the 0 is never used.
  const startOf = (state: string) => (index.connects.get(state) ?? index.authorizes.get(state))?.[0]?.startedAt ?? 0
  index.states.push(...[...states].sort((a, b) => startOf(a) - startOf(b)))
  matchPages(index)
  return index
}

/**
 * A resource call carries nothing of the page that caused it, only its time:
 * each call gets the latest-started page that contains it and is not taken,
 * so two people fetching at once are still told apart.
 */
function matchPages(index: ExchangeIndex): void {
  const taken = new Set<RecordedExchange>()
  const calls = [...index.resourceCalls.values()].flat().sort((a, b) => a.startedAt - b.startedAt)
  for (const call of calls) {
    const page = index.fetchResourcePages
      .filter((p) => !taken.has(p) && p.startedAt <= call.startedAt + 1 && endOf(p) + 1 >= endOf(call))
      .sort((a, b) => b.startedAt - a.startedAt)[0]
    if (page === undefined) continue
    taken.add(page)
    index.pageOfCall.set(call, page)
  }
}

// Step-through's preview of step 1 shows the authorization URL in its page.
const STATE_IN_PAGE = /[?&;]state=([A-Za-z0-9_-]+)/

function indexClient(index: ExchangeIndex, e: RecordedExchange): void {
  const path = pathOf(e)
  const method = e.request.method
  if (method === 'GET' && (path === '/connect' || path === '/connect/send')) {
    const state = locationParams(e).get('state') ?? STATE_IN_PAGE.exec(e.response.body ?? '')?.[1]
    push(index.connects, state, e)
  } else if (path === '/authenticated') push(index.callbacks, queryOf(e).get('state'), e)
  else if (method === 'POST' && path === '/authenticated/send') index.sendPages.push(e)
  else if (method === 'POST' && (path === '/fetch-resource' || path === '/fetch-resource/send'))
    index.fetchResourcePages.push(e)
}

function indexAuthServer(index: ExchangeIndex, e: RecordedExchange): void {
  const path = pathOf(e)
  const method = e.request.method
  if (method === 'GET' && AUTHORIZE_PATHS.has(path)) push(index.authorizes, queryOf(e).get('state'), e)
  else if (method === 'POST' && (path === '/login' || path === '/consent'))
    push(index.interactionPosts, formOf(e).get('interaction'), e)
  else if (method === 'POST' && TOKEN_PATHS.has(path)) push(index.tokenRequests, formOf(e).get('code'), e)
  else if (method === 'POST' && path === '/introspect') push(index.introspections, formOf(e).get('token'), e)
  else if (method === 'GET' && path === '/jwks') index.jwksFetches.push(e)
}
