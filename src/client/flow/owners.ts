// Which browsers an exchange of no browser may concern, kept up to date as the
// ring of collected exchanges changes (fingerprints.ts). A back-channel
// exchange carries no browser cookie: it is joined to a flow only through its
// own values, as correlate.ts joins it, so its owners are found the same way:
// - POST /token with grant_type=authorization_code: every browser whose
//   redirect (Location) or callback (URL) carries the code it redeems (RFC
//   6749 §4.1.2, §4.1.3); a code injected into another browser's callback
//   makes two holders, and both keep the request; a code that an exchange of
//   no browser also carries (a Break-it flow's redirect) is of unknown owner;
// - a resource call, introspection (RFC 7662 §2.1) or revocation (RFC 7009
//   §2.1): the owners of what issued its token (RFC 6749 §5.1: a token
//   response's JSON body);
// - anything else (a key fetch, a refresh, client credentials, discovery, a
//   tagged Break-it request): unknown, every browser may see it.
// Owners are worked out when asked, from the index as it is then: a holder may
// be collected after the token request it explains.
//
// One more tie, of time only: a resource call takes the client's page it ran
// during (index-exchanges.ts, matchPages), whoever's call it is. So a call made
// while a browser's POST /fetch-resource was open concerns that browser too.

import { FLOW_HEADER, endOf, formOf, locationParams, pathOf, queryOf, requestHeader, responseJson } from './http.js'
import { accessTokenIn, isResourceMetadata } from './mcp-chain.js'
import type { RecordedExchange } from './types.js'
import { isBackChannel } from './visibility.js'

/** The browsers an exchange may concern, or every browser. */
export type Owners = ReadonlySet<string> | 'unknown'

type Kind =
  /** Recorded with a browser's cookie. */
  | { readonly kind: 'own'; readonly browser: string }
  /** Of no browser and not back channel: no browser ever sees it (visibility.ts). */
  | { readonly kind: 'nobody' }
  | { readonly kind: 'unknown' }
  /** An authorization code's token request. */
  | { readonly kind: 'code'; readonly code: string }
  /** A call that carries a token. */
  | { readonly kind: 'token'; readonly token: string }

export interface OwnerIndex {
  /** Adds an exchange at the end (ring order); false when it is already there. */
  add(e: RecordedExchange): boolean
  /** Removes an exchange and everything only it put in. */
  remove(e: RecordedExchange): void
  clear(): void
  /** Where `e` stands among what was added (ring order), undefined when it is not there. */
  orderOf(e: RecordedExchange): number | undefined
  /** The browsers `e` may concern, from what the index holds now. */
  ownersOf(e: RecordedExchange): Owners
  /**
   * What `browser`'s flows are worked out from, in ring order: its own
   * exchanges and every exchange of no browser it may own. Only exchanges
   * known to concern other browsers alone are left out.
   */
  candidates(browser: string): RecordedExchange[]
  /** Entries held (exchanges and keys): bounded by what the ring holds. */
  size(): number
}

const FETCH_PAGES = new Set(['/fetch-resource', '/fetch-resource/send'])
const BUCKET_MS = 1000
/** A page open longer than this many buckets is checked against every call. */
const LONG_PAGE_BUCKETS = 120

const NOBODY: Kind = { kind: 'nobody' }
const UNKNOWN: Kind = { kind: 'unknown' }

function classify(e: RecordedExchange): Kind {
  if (e.browser !== undefined) return { kind: 'own', browser: e.browser }
  // Tagged: visible to whoever started the tag (visibility.ts decides).
  if (requestHeader(e, FLOW_HEADER) !== undefined) return UNKNOWN
  if (!isBackChannel(e)) return NOBODY
  const path = pathOf(e)
  if (e.role === 'auth-server' && path === '/token') {
    const form = formOf(e)
    const code = form.get('grant_type') === 'authorization_code' ? form.get('code') : null
    return code ? { kind: 'code', code } : UNKNOWN
  }
  const token =
    e.role === 'resource-server'
      ? // A preflight or the resource metadata joins by time or origin, not by token (mcp-chain.ts, walks).
        e.request.method === 'OPTIONS' || isResourceMetadata(e)
        ? undefined
        : accessTokenIn(e)
      : e.role === 'auth-server' && (path === '/introspect' || path === '/revoke')
        ? formOf(e).get('token')
        : undefined
  return token ? { kind: 'token', token } : UNKNOWN
}

/** The codes an exchange hands out or brings back: its redirect's query, its URL's query. */
function carriedCodes(e: RecordedExchange): string[] {
  return [...locationParams(e).getAll('code'), ...queryOf(e).getAll('code')].filter((code) => code !== '')
}

/** The tokens an exchange's JSON answer issues (RFC 6749 §5.1). */
function issuedTokens(e: RecordedExchange): string[] {
  const json = responseJson(e)
  if (json === undefined) return []
  return [json.access_token, json.refresh_token].filter((t): t is string => typeof t === 'string' && t !== '')
}

/** The client page that a resource call may be matched with (index-exchanges.ts, matchPages). */
function isFetchPage(e: RecordedExchange): boolean {
  return (
    e.role === 'client' &&
    e.request.method === 'POST' &&
    FETCH_PAGES.has(pathOf(e)) &&
    requestHeader(e, FLOW_HEADER) === undefined
  )
}

/** matchPages' test: the call ran while the page was open (1 ms of slack). */
function contains(page: RecordedExchange, call: RecordedExchange): boolean {
  return page.startedAt <= call.startedAt + 1 && endOf(page) + 1 >= endOf(call)
}

const bucketOf = (at: number) => Math.floor(at / BUCKET_MS)

/** The buckets a call inside `page` can start in. */
function pageBuckets(page: RecordedExchange): number[] | 'long' {
  const first = bucketOf(page.startedAt - 1)
  const last = bucketOf(endOf(page) + 1)
  if (last - first > LONG_PAGE_BUCKETS) return 'long'
  return Array.from({ length: last - first + 1 }, (_, i) => first + i)
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key)
  if (set) set.add(value)
  else map.set(key, new Set([value]))
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key)
  if (set === undefined) return
  set.delete(value)
  if (set.size === 0) map.delete(key)
}

function toggle<V>(set: Set<V>, value: V, put: boolean): void {
  if (put) set.add(value)
  else set.delete(value)
}

/** What the index keeps of an exchange: its place, its kind, and the codes and tokens it carries or issues. */
interface Entry {
  readonly order: number
  readonly kind: Kind
  readonly codes: readonly string[]
  readonly tokens: readonly string[]
}

export function createOwnerIndex(): OwnerIndex {
  const entries = new Map<RecordedExchange, Entry>()
  let next = 0
  const own = new Map<string, Set<RecordedExchange>>()
  const unknown = new Set<RecordedExchange>()
  const tokenRequests = new Map<string, Set<RecordedExchange>>()
  const tokenCalls = new Map<string, Set<RecordedExchange>>()
  const carriers = new Map<string, Set<RecordedExchange>>()
  const issuers = new Map<string, Set<RecordedExchange>>()
  const pages = new Map<string, Set<RecordedExchange>>()
  const pagesByBucket = new Map<number, Set<RecordedExchange>>()
  const longPages = new Set<RecordedExchange>()
  const callsByBucket = new Map<number, Set<RecordedExchange>>()
  // Owners of a code or token, kept until the index next changes (every browser asks after a change).
  const codeOwners = new Map<string, Owners>()
  const tokenOwners = new Map<string, Owners>()
  // The codes and tokens of no known owner that calls or token requests carry: every browser keeps those.
  // Kept as exchanges come and go, so that a browser's candidates cost its own exchanges, not the ring.
  const openCodes = new Set<string>()
  const openTokens = new Set<string>()

  /** Puts `e` in (or takes it out of) every map its own values key it under. */
  function file(e: RecordedExchange, { kind, codes, tokens }: Entry, put: boolean): void {
    fileUnder(e, kind, codes, tokens, put)
    // What `e` changed: the owners of the codes and tokens it carries, and of the tokens issued with those codes.
    const touchedCodes = kind.kind === 'code' ? [kind.code, ...codes] : codes
    const touchedTokens = new Set(kind.kind === 'token' ? [kind.token, ...tokens] : tokens)
    for (const code of touchedCodes) {
      toggle(openCodes, code, tokenRequests.has(code) && ownersOfCode(code) === 'unknown')
      for (const request of tokenRequests.get(code) ?? [])
        for (const token of entries.get(request)!.tokens) touchedTokens.add(token)
    }
    for (const token of touchedTokens)
      toggle(openTokens, token, tokenCalls.has(token) && ownersOfToken(token) === 'unknown')
  }

  function fileUnder(
    e: RecordedExchange,
    kind: Kind,
    codes: readonly string[],
    tokens: readonly string[],
    put: boolean,
  ): void {
    const into = put ? addTo : removeFrom
    codeOwners.clear()
    tokenOwners.clear()
    if (kind.kind === 'own') into(own, kind.browser, e)
    else if (kind.kind === 'unknown') toggle(unknown, e, put)
    else if (kind.kind === 'code') into(tokenRequests, kind.code, e)
    else if (kind.kind === 'token') {
      into(tokenCalls, kind.token, e)
      if (e.role === 'resource-server') into(callsByBucket, bucketOf(e.startedAt), e)
    }
    // A front-channel exchange of no browser is in no browser's view: it explains nothing.
    if (kind.kind === 'nobody') return
    for (const code of codes) into(carriers, code, e)
    for (const token of tokens) into(issuers, token, e)
    if (kind.kind !== 'own' || !isFetchPage(e)) return
    into(pages, kind.browser, e)
    const buckets = pageBuckets(e)
    if (buckets === 'long') toggle(longPages, e, put)
    else for (const bucket of buckets) into(pagesByBucket, bucket, e)
  }

  function kindOf(e: RecordedExchange): Kind {
    return entries.get(e)?.kind ?? UNKNOWN
  }

  /** The browsers whose redirect or callback carries `code`; unknown when none does or one of no browser does. */
  function ownersOfCode(code: string): Owners {
    let owners = codeOwners.get(code)
    if (owners === undefined) {
      const browsers = new Set<string>()
      for (const e of carriers.get(code) ?? []) {
        const kind = kindOf(e)
        if (kind.kind !== 'own') {
          owners = 'unknown'
          break
        }
        browsers.add(kind.browser)
      }
      owners ??= browsers.size === 0 ? 'unknown' : browsers
      codeOwners.set(code, owners)
    }
    return owners
  }

  /** The owners of what issued `token`: a browser's own exchange, or a code's token request. */
  function ownersOfToken(token: string): Owners {
    let owners = tokenOwners.get(token)
    if (owners === undefined) {
      const browsers = new Set<string>()
      for (const e of issuers.get(token) ?? []) {
        const kind = kindOf(e)
        const of =
          kind.kind === 'own' ? new Set([kind.browser]) : kind.kind === 'code' ? ownersOfCode(kind.code) : 'unknown'
        if (of === 'unknown') {
          owners = 'unknown'
          break
        }
        for (const browser of of) browsers.add(browser)
      }
      owners ??= browsers.size === 0 ? 'unknown' : browsers
      tokenOwners.set(token, owners)
    }
    return owners
  }

  /** The browsers with a page open while `call` ran. */
  function pageHolders(call: RecordedExchange): Set<string> {
    const holders = new Set<string>()
    for (const page of [...(pagesByBucket.get(bucketOf(call.startedAt)) ?? []), ...longPages]) {
      if (page.browser !== undefined && contains(page, call)) holders.add(page.browser)
    }
    return holders
  }

  /** The tokens of the calls made while one of `browser`'s pages was open; 'all' when a page was open too long to look. */
  function tokensDuringPages(browser: string): Set<string> | 'all' {
    const tokens = new Set<string>()
    for (const page of pages.get(browser) ?? []) {
      const buckets = pageBuckets(page)
      if (buckets === 'long') return 'all'
      for (const bucket of buckets) {
        for (const call of callsByBucket.get(bucket) ?? []) {
          const kind = kindOf(call)
          if (kind.kind === 'token' && contains(page, call)) tokens.add(kind.token)
        }
      }
    }
    return tokens
  }

  function ownersOf(e: RecordedExchange): Owners {
    const kind = entries.get(e)?.kind ?? classify(e)
    switch (kind.kind) {
      case 'own':
        return new Set([kind.browser])
      case 'nobody':
        return new Set()
      case 'unknown':
        return 'unknown'
      case 'code':
        return ownersOfCode(kind.code)
      case 'token': {
        const owners = ownersOfToken(kind.token)
        if (owners === 'unknown' || e.role !== 'resource-server') return owners
        return new Set([...owners, ...pageHolders(e)])
      }
    }
  }

  function candidates(browser: string): RecordedExchange[] {
    const mine = own.get(browser) ?? new Set<RecordedExchange>()
    const list = [...mine, ...unknown]
    // The codes its redirects and callbacks carry (it owns their token requests), and the codes of no known owner.
    const codes = new Set(openCodes)
    for (const e of mine) for (const code of entries.get(e)!.codes) codes.add(code)
    // The tokens issued to it, those of no known owner, and those of the calls made while its pages were open.
    const during = tokensDuringPages(browser)
    const tokens = during === 'all' ? new Set(tokenCalls.keys()) : new Set([...openTokens, ...during])
    for (const e of mine) for (const token of entries.get(e)!.tokens) tokens.add(token)
    for (const code of codes) {
      for (const request of tokenRequests.get(code) ?? []) {
        list.push(request)
        // A token issued with a code another browser also holds is this one's too; with an open code, it is open.
        for (const token of entries.get(request)!.tokens) tokens.add(token)
      }
    }
    // A token's calls go in or out together: correlate.ts keys them by token, in the order tokens first appear.
    for (const token of tokens) list.push(...(tokenCalls.get(token) ?? []))
    // Ring order, as flowsFor is given: exchanges of the same instant keep their order when sorted by time.
    return list.sort((a, b) => entries.get(a)!.order - entries.get(b)!.order)
  }

  function clear(): void {
    for (const map of [entries, own, tokenRequests, tokenCalls, carriers, issuers, pages, pagesByBucket, callsByBucket])
      map.clear()
    for (const set of [unknown, longPages, openCodes, openTokens]) set.clear()
    codeOwners.clear()
    tokenOwners.clear()
    next = 0
  }

  return {
    add(e) {
      if (entries.has(e)) return false
      const kind = classify(e)
      // A front-channel exchange of no browser is in no browser's view: it explains nothing.
      const nobody = kind.kind === 'nobody'
      const entry = { order: next++, kind, codes: nobody ? [] : carriedCodes(e), tokens: nobody ? [] : issuedTokens(e) }
      entries.set(e, entry)
      file(e, entry, true)
      return true
    },
    remove(e) {
      const entry = entries.get(e)
      if (entry === undefined) return
      entries.delete(e)
      file(e, entry, false)
    },
    clear,
    orderOf: (e) => entries.get(e)?.order,
    ownersOf,
    candidates,
    size: () =>
      entries.size +
      own.size +
      unknown.size +
      tokenRequests.size +
      tokenCalls.size +
      carriers.size +
      issuers.size +
      pages.size +
      pagesByBucket.size +
      longPages.size +
      callsByBucket.size +
      openCodes.size +
      openTokens.size,
  }
}
