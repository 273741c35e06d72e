// Groups the exchanges of the three servers into flows. Pure functions.
// Rule 1: a request header x-oauth-lab-flow: <id> names its flow.
// Rule 2: a browser flow is followed by the values it carries: the state of
// step 1, the login and consent pages' `interaction`, the code of step 4, the
// access token of step 6 (RFC 6749 §4.1 ties them together the same way).
// Untagged back-channel calls join a tagged flow through its codes and tokens.

import { sha256Base64url } from '../../shared/sha256.js'
import { buildFlow } from './assign.js'
import { withMcpChains } from './mcp-chain.js'
import { buildMcpFlow } from './mcp-flow.js'
import { buildWalkFlow } from './walk-flow.js'
import { findWalk } from '../walks/definitions.js'
import { walkOfTag } from '../walks/tag.js'
import type { WalkName } from '../walks/walk.js'
import {
  FLOW_HEADER,
  INSPECTOR_HEADER,
  endOf,
  hiddenInput,
  locationParams,
  pathOf,
  queryOf,
  requestHeader,
  responseHeader,
  responseJson,
} from './http.js'
import { AUTHORIZE_PATHS, buildIndex, isTokenRequest, type ExchangeIndex } from './index-exchanges.js'
import type { Flow, RecordedExchange } from './types.js'

export interface Group {
  readonly id: string
  readonly kind: Flow['kind']
  readonly exchanges: readonly RecordedExchange[]
  /** A walk-through's flow (its tag says which): built with the walk's steps. */
  readonly walk?: WalkName
}

// Fastify's default maxParamLength: a longer id could not be asked for in a URL.
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/

/** Flows, oldest first. */
export function correlate(exchanges: readonly RecordedExchange[]): Flow[] {
  const sorted = exchanges.filter((e) => requestHeader(e, INSPECTOR_HEADER) === undefined).sort(byTime)
  const untagged = sorted.filter((e) => requestHeader(e, FLOW_HEADER) === undefined)
  const index = buildIndex(untagged)
  const tagged = groupByTag(sorted, index)
  // A walk's browser steps carry its state, not its tag: they are the walk's, not a flow of their own.
  const walkStates = new Set(tagged.flatMap((group) => group.states))
  const groups = [...tagged, ...groupByState(untagged, index, walkStates)]
  // MCP clients' flows get the MCP chain's steps (mcp-chain.ts), walks their own
  // (walk-flow.ts); every other flow the seven steps.
  return withMcpChains(groups, untagged, groupStateless(untagged, index))
    .map((group) =>
      group.walk ? buildWalkFlow(group, group.walk) : group.mcp ? buildMcpFlow(group) : buildFlow(group),
    )
    .sort((a, b) => a.startedAt - b.startedAt)
}

/** The flow tag of an exchange: its request's, or (a walk's "Next" page) the client app's answer's. */
function tagOf(e: RecordedExchange): string | undefined {
  const tag = requestHeader(e, FLOW_HEADER)
  if (tag !== undefined || e.role !== 'client') return tag
  const answered = responseHeader(e, FLOW_HEADER)
  return answered !== undefined && walkOfTag(answered) !== undefined ? answered : undefined
}

export function byTime(a: RecordedExchange, b: RecordedExchange): number {
  return a.startedAt - b.startedAt || endOf(a) - endOf(b)
}

/** A short URL-safe id; the same state always gives the same id. */
export function flowIdOf(state: string): string {
  return `f${sha256Base64url(state).slice(0, 12)}`
}

/** A tagged flow's id: its tag when URL-safe, else a hash of it. */
export function tagId(tag: string): string {
  return SAFE_ID.test(tag) ? tag : `t${sha256Base64url(tag).slice(0, 12)}`
}

/**
 * Rule 1, plus the untagged calls made with the flow's codes and tokens. A
 * walk's flow also takes the browser's steps of the states its pages sent the
 * browser away with (its authorization requests), and what the walk joins.
 */
function groupByTag(
  sorted: readonly RecordedExchange[],
  index: ExchangeIndex,
): Array<Group & { readonly states: readonly string[] }> {
  const groups = new Map<string, { tag: string; members: Set<RecordedExchange> }>()
  for (const e of sorted) {
    const tag = tagOf(e)
    if (tag === undefined) continue
    const id = tagId(tag)
    const group = groups.get(id) ?? { tag, members: new Set() }
    groups.set(id, group)
    group.members.add(e)
  }
  return [...groups].map(([id, { tag, members }]) => {
    const walk = walkOfTag(tag)
    const states = walk === undefined ? [] : sentStates(members)
    for (const state of states) {
      for (const e of [...(index.authorizes.get(state) ?? []), ...(index.callbacks.get(state) ?? [])]) members.add(e)
      expand(index, members, state)
    }
    expand(index, members, undefined)
    if (walk !== undefined) {
      const untagged = sorted.filter((e) => !members.has(e) && requestHeader(e, FLOW_HEADER) === undefined)
      for (const e of findWalk(walk)?.joins?.([...members], untagged) ?? []) members.add(e)
    }
    return {
      id,
      kind: 'tagged',
      exchanges: sorted.filter((e) => members.has(e)),
      states,
      ...(walk === undefined ? {} : { walk }),
    }
  })
}

/** The states a walk's pages sent the browser to the authorization server with (their Location). */
function sentStates(members: ReadonlySet<RecordedExchange>): string[] {
  const states = new Set<string>()
  for (const e of members) {
    const state = e.role === 'client' ? locationParams(e).get('state') : null
    if (state) states.add(state)
  }
  return [...states]
}

/** Rule 2: one group per state, started by the client's GET /connect (or an /authorize of another client). */
function groupByState(
  untagged: readonly RecordedExchange[],
  index: ExchangeIndex,
  taken: ReadonlySet<string>,
): Group[] {
  return index.states
    .filter((state) => !taken.has(state))
    .map((state) => {
      const members = new Set<RecordedExchange>([
        ...(index.connects.get(state) ?? []),
        ...(index.authorizes.get(state) ?? []),
      ])
      for (const e of index.callbacks.get(state) ?? []) members.add(e)
      expand(index, members, state)
      return { id: flowIdOf(state), kind: 'browser', exchanges: untagged.filter((e) => members.has(e)) }
    })
}

/**
 * Authorization requests without a state (an MCP client may send none: PKCE
 * protects its code, RFC 9700 §4.7.1): one candidate per request URL, which
 * the sign-in sends the browser back to unchanged. Kept only when an MCP
 * client made it (mcp-chain.ts), so other flows stay as they are.
 */
function groupStateless(untagged: readonly RecordedExchange[], index: ExchangeIndex): Group[] {
  const byUrl = new Map<string, RecordedExchange[]>()
  for (const e of untagged) {
    if (e.role !== 'auth-server' || e.request.method !== 'GET' || !AUTHORIZE_PATHS.has(pathOf(e))) continue
    if (queryOf(e).get('state')) continue
    byUrl.set(e.request.url, [...(byUrl.get(e.request.url) ?? []), e])
  }
  return [...byUrl].map(([url, list]) => {
    const members = new Set(list)
    expand(index, members, undefined)
    return { id: flowIdOf(`authorize ${url}`), kind: 'browser', exchanges: untagged.filter((e) => members.has(e)) }
  })
}

/** Follows interaction, then code, then token. With a `state`, only codes issued for it count. */
function expand(index: ExchangeIndex, members: Set<RecordedExchange>, state: string | undefined): void {
  addInteractions(index, members)
  const codes = new Set<string>()
  for (const e of members) {
    const params = locationParams(e)
    if (params.has('code') && (state === undefined || params.get('state') === state)) codes.add(params.get('code')!)
  }
  for (const code of codes) for (const e of index.tokenRequests.get(code) ?? []) members.add(e)
  const tokens = new Set<string>()
  for (const e of members) {
    const token = responseJson(e)?.access_token
    if (typeof token === 'string') tokens.add(token)
  }
  for (const token of tokens) addTokenUse(index, members, token)
  // Step-through's "Send" of step 5: the token request was made while it was answered.
  const redeemed = [...members].filter(isTokenRequest)
  for (const page of index.sendPages) if (redeemed.some((e) => within(e, page, 1))) members.add(page)
}

/** The login and consent pages carry `interaction`; the POST that answers them sends it back. */
function addInteractions(index: ExchangeIndex, members: Set<RecordedExchange>): void {
  const queue = [...members]
  while (queue.length > 0) {
    const interaction = hiddenInput(queue.shift()!, 'interaction')
    if (interaction === undefined) continue
    for (const e of index.interactionPosts.get(interaction) ?? []) {
      if (members.has(e)) continue
      members.add(e)
      queue.push(e)
    }
  }
}

/** Step 7: the resource calls with the token, how the resource server checked it, and the client's pages around them. */
function addTokenUse(index: ExchangeIndex, members: Set<RecordedExchange>, token: string): void {
  for (const e of index.introspections.get(token) ?? []) members.add(e)
  for (const call of index.resourceCalls.get(token) ?? []) {
    members.add(call)
    // JWKS fetches carry nothing of the token: they belong to the call they happened during.
    for (const jwks of index.jwksFetches) if (within(jwks, call, 1)) members.add(jwks)
    const page = index.pageOfCall.get(call)
    if (page) members.add(page)
  }
  // Pages of the client app that show the token (step-through previews of step 7 among them).
  for (const page of index.fetchResourcePages) if (page.response.body?.includes(token)) members.add(page)
}

/** Whether `inner` started while `outer` was being handled (ms of slack for clock rounding). */
export function within(inner: RecordedExchange, outer: RecordedExchange, slack: number): boolean {
  return inner.startedAt >= outer.startedAt - slack && inner.startedAt <= endOf(outer) + slack
}
