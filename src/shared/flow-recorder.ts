// The flow inspector's eyes: every server records the HTTP exchanges it sees
// (request line, headers and body; status, headers and body), in a bounded
// ring, served at GET /_lab/exchanges (lab-exchanges-route.ts). A flow's secrets (passwords,
// codes, tokens) are recorded ON PURPOSE: showing them to the browser whose
// flow it is, is what the lab is for. What no one needs to see is masked here,
// before anything is kept: the lab's session cookies, the lab key and the
// inspector's browser id (see maskHeader). INSPECTOR=off turns it all off.

import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { rawFormBody } from './form-body.js'
import type { RoleName } from './roles.js'
import { LAB_KEY_COOKIE, LAB_KEY_PARAM } from './lab-key.js'

export type Role = RoleName

export type HeaderList = Array<[string, string]>

export interface RecordedExchange {
  /** Per server, increasing: `since` queries use it. */
  readonly seq: number
  readonly role: Role
  /**
   * Which browser sent it: a hash of its `oauth_lab_browser` cookie (the
   * cookie itself is masked). The inspector shows an exchange only to that
   * browser (and to the lab key's holder). Absent: no browser cookie.
   */
  readonly browser?: string
  readonly startedAt: number
  readonly durationMs: number
  readonly request: {
    readonly method: string
    readonly url: string
    readonly httpVersion: string
    /** In the order they came on the wire. */
    readonly headers: HeaderList
    readonly body?: string
    /** The body was longer than MAX_BODY and is cut there. */
    readonly truncated?: boolean
  }
  readonly response: {
    readonly status: number
    readonly headers: HeaderList
    readonly body?: string
    readonly truncated?: boolean
  }
}

type HeaderValue = number | string | readonly string[] | undefined

/** What the hooks keep per request: references only; formatting waits until someone reads. */
interface RawExchange {
  readonly browser?: string
  readonly startedAt: number
  readonly durationMs: number
  readonly method: string
  readonly url: string
  readonly httpVersion: string
  readonly rawHeaders: readonly string[]
  readonly body?: string
  readonly status: number
  /** As reply.getHeaders() gives them. */
  readonly responseHeaders: Record<string, HeaderValue>
  readonly payload: unknown
}

export interface FlowRecorder {
  readonly role: Role
  add(exchange: Omit<RecordedExchange, 'seq' | 'role'>): RecordedExchange
  /** The hooks' cheap path: the exchange is formatted on first read. */
  addRaw(raw: RawExchange): void
  /** Exchanges with seq greater than `seq`, oldest first. */
  since(seq: number): RecordedExchange[]
  /** Called after each new exchange; returns an unsubscribe function. */
  subscribe(listener: (exchange: RecordedExchange) => void): () => void
  clear(): void
}

/**
 * Memory stays bounded under any traffic: each body (request and response,
 * refused requests included) is kept to MAX_BODY, and each server's ring to
 * MAX_RING_BYTES in all, oldest out first, whatever its count capacity. A
 * lab's pages and token answers are a few KiB; a flood of large bodies only
 * pushes older exchanges out sooner.
 */
export const MAX_BODY = 16 * 1024
export const MAX_RING_BYTES = 16 * 1024 * 1024
// What is not part of a flow: health checks, the stylesheet, the inspector itself.
const NOT_RECORDED = /^\/(healthz|assets\/|_lab\/|flow(\/|\?|$)|favicon\.ico)/

interface Entry {
  readonly seq: number
  /** About what the entry holds, in bytes (UTF-16 code units of its texts). */
  readonly size: number
  raw?: RawExchange
  exchange?: RecordedExchange
}

/** A body cut to MAX_BODY, saying so. */
function capped(body: string): { body: string; truncated?: true } {
  return body.length > MAX_BODY ? { body: body.slice(0, MAX_BODY), truncated: true } : { body }
}

/** The payload as kept: a string or buffer cut to MAX_BODY (a longer one is not held by reference). */
function keptPayload(payload: unknown): string | Buffer | undefined {
  if (typeof payload === 'string') return payload.length > MAX_BODY ? payload.slice(0, MAX_BODY + 1) : payload
  if (Buffer.isBuffer(payload))
    return payload.length > MAX_BODY ? Buffer.from(payload.subarray(0, MAX_BODY + 1)) : payload
  return undefined
}

function textSize(headers: readonly string[]): number {
  let size = 0
  for (const text of headers) size += text.length
  return size
}

function rawSize(raw: RawExchange): number {
  const payload = raw.payload
  const payloadSize = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload.length : 0
  return 256 + raw.url.length + textSize(raw.rawHeaders) + (raw.body?.length ?? 0) + payloadSize
}

function exchangeSize(e: Omit<RecordedExchange, 'seq' | 'role'>): number {
  const headers = [...e.request.headers, ...e.response.headers].flat()
  return 256 + e.request.url.length + textSize(headers) + (e.request.body?.length ?? 0) + (e.response.body?.length ?? 0)
}

function materialize(entry: Entry, role: Role): RecordedExchange {
  if (!entry.exchange) {
    const raw = entry.raw!
    entry.exchange = {
      seq: entry.seq,
      role,
      ...(raw.browser === undefined ? {} : { browser: raw.browser }),
      startedAt: raw.startedAt,
      durationMs: raw.durationMs,
      request: {
        method: raw.method,
        url: raw.url,
        httpVersion: raw.httpVersion,
        headers: pairs(raw.rawHeaders),
        ...(raw.body === undefined ? {} : capped(raw.body)),
      },
      response: { status: raw.status, headers: headerList(raw.responseHeaders), ...payloadText(raw.payload) },
    }
    entry.raw = undefined
  }
  return entry.exchange
}

export function createFlowRecorder(role: Role, capacity: number, maxBytes = MAX_RING_BYTES): FlowRecorder {
  // A circular buffer: once full, each new entry overwrites the oldest in
  // place (an array shifted on every request was a copy of the whole ring).
  const ring = new Array<Entry | undefined>(capacity)
  let next = 0
  let count = 0
  let bytes = 0
  const listeners = new Set<(exchange: RecordedExchange) => void>()
  let seq = 0
  /** Forgets the oldest entry. */
  function dropOldest(): void {
    const oldest = (next - count + capacity) % capacity
    bytes -= ring[oldest]?.size ?? 0
    ring[oldest] = undefined
    count--
  }
  function push(entry: Entry): void {
    if (capacity === 0) return
    if (count === capacity) dropOldest()
    while (count > 0 && bytes + entry.size > maxBytes) dropOldest()
    ring[next] = entry
    next = (next + 1) % capacity
    count++
    bytes += entry.size
    if (listeners.size > 0) {
      const exchange = materialize(entry, role)
      for (const listener of listeners) listener(exchange)
    }
  }
  return {
    role,
    add(exchange) {
      const masked = maskExchange(exchange)
      const { request, response } = masked
      const recorded: RecordedExchange = {
        ...masked,
        request: { ...request, ...(request.body === undefined ? {} : capped(request.body)) },
        response: { ...response, ...(response.body === undefined ? {} : capped(response.body)) },
        seq: ++seq,
        role,
      }
      push({ seq, size: exchangeSize(recorded), exchange: recorded })
      return recorded
    },
    addRaw(raw) {
      const kept = { ...raw, payload: keptPayload(raw.payload) }
      push({ seq: ++seq, size: rawSize(kept), raw: kept })
    },
    since(after) {
      // Newest first until one is not newer; then oldest first.
      const newer: RecordedExchange[] = []
      for (let k = 1; k <= count; k++) {
        const entry = ring[(next - k + capacity) % capacity]
        if (entry === undefined || entry.seq <= after) break
        newer.push(materialize(entry, role))
      }
      return newer.reverse()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    clear() {
      ring.fill(undefined)
      next = 0
      count = 0
      bytes = 0
    },
  }
}

function headerList(headers: Record<string, HeaderValue>): HeaderList {
  const list: HeaderList = []
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    if (typeof value === 'object') for (const v of value) list.push([name, v])
    else list.push([name, String(value)])
  }
  return list
}

/** Node's header values are strings or numbers (content-length). */
function headerText(value: string | number | undefined): string {
  return value === undefined ? '' : String(value)
}

function pairs(raw: readonly string[]): HeaderList {
  const list: HeaderList = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const [name, value] = [raw[i], raw[i + 1]]
    if (name !== undefined && value !== undefined) list.push([name, value])
  }
  return list
}

function payloadText(payload: unknown): { body?: string; truncated?: boolean } {
  if (typeof payload === 'string') {
    return payload.length > MAX_BODY ? { body: payload.slice(0, MAX_BODY), truncated: true } : { body: payload }
  }
  if (Buffer.isBuffer(payload)) {
    const text = payload.subarray(0, MAX_BODY).toString('utf8')
    return payload.length > MAX_BODY ? { body: text, truncated: true } : { body: text }
  }
  return {}
}

// ---- Masking, at recording time: keyed on names, so no server ever keeps these values.

/** What a masked value reads as: the name stays, so a learner still sees which cookie went where. */
export const MASKED = '(masked)'
/** The inspector's browser id (HttpOnly, SameSite=Lax), set by the client app when a flow starts. */
export const BROWSER_COOKIE = 'oauth_lab_browser'
/**
 * Cookies whose values are credentials: the sign-in session of the
 * authorization server (account/sign-in-session.ts) and the client app's
 * session (client/app.ts), the lab key and the browser id. Browsers ignore
 * ports for cookies (RFC 6265 §8.5), so on localhost every server receives all
 * of them: a recorded value could be replayed by whoever reads it.
 */
export const MASKED_COOKIES: ReadonlySet<string> = new Set([
  'oauth_lab_as_sid',
  'oauth_lab_client_sid',
  LAB_KEY_COOKIE,
  BROWSER_COOKIE,
])
const COOKIE_HINT = 'oauth_lab_'
const KEY_HINT = `${LAB_KEY_PARAM}=`
const KEY_PARAM = new RegExp(`(^|[?&;\\s])(${LAB_KEY_PARAM}=)[^&#\\s;"']*`, 'g')
/** The browser ids the client app issues (randomSecret: 43 URL-safe characters); anything else is no id. */
const BROWSER_ID = /^[A-Za-z0-9_-]{43,128}$/

/** The hash under which a browser's exchanges are recorded: it names the browser without letting anyone act as it. */
export function browserHash(browserId: string): string {
  return createHash('sha256').update(browserId, 'utf8').digest('base64url').slice(0, 22)
}

export function isBrowserId(value: string | undefined): value is string {
  return value !== undefined && BROWSER_ID.test(value)
}

// Requests whose browser id is issued by their own response (the first
// Connect): its Set-Cookie is written after the recorder's hook has run.
const issuedIds = new WeakMap<IncomingMessage, string>()

/** Records `request` as sent by the browser that `browserId` (just issued to it) names. */
export function recordAsBrowser(request: FastifyRequest, browserId: string): void {
  issuedIds.set(request.raw, browserId)
}

function maskKeyParam(text: string): string {
  return text.includes(KEY_HINT) ? text.replace(KEY_PARAM, `$1$2${MASKED}`) : text
}

/** `a=1; oauth_lab_as_sid=…` with the listed cookies' values masked; `found` gets the browser id. */
function maskCookiePairs(value: string, found: { browserId?: string }): string {
  return value
    .split(';')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const name = eq > 0 ? pair.slice(0, eq).trim() : ''
      if (!MASKED_COOKIES.has(name)) return pair
      if (name === BROWSER_COOKIE) found.browserId = pair.slice(eq + 1).trim()
      return `${pair.slice(0, eq + 1)}${MASKED}`
    })
    .join(';')
}

/**
 * One header's value, masked where it carries a credential cookie, the lab
 * key, or a Bearer lab key: on /_lab/* (whose Bearer is the key itself), or
 * wherever `bearerIsLabKey` (the request holds the key by its Bearer header).
 */
export function maskHeader(
  name: string,
  value: string,
  path: string,
  found: { browserId?: string } = {},
  bearerIsLabKey = false,
): string {
  let out = value
  const lower = name.toLowerCase()
  if (out.includes(COOKIE_HINT) && (lower === 'cookie' || lower === 'set-cookie')) {
    // Set-Cookie: only its first pair is the cookie; the rest are attributes.
    const semi = lower === 'set-cookie' ? out.indexOf(';') : -1
    out = semi === -1 ? maskCookiePairs(out, found) : `${maskCookiePairs(out.slice(0, semi), found)}${out.slice(semi)}`
  } else if (lower === 'authorization' && (bearerIsLabKey || path.startsWith('/_lab/'))) {
    out = out.replace(/^(bearer\s+).*$/i, `$1${MASKED}`)
  }
  return maskKeyParam(out)
}

/**
 * Whether the request's Bearer header is the lab key: lab-key.ts reads the
 * Bearer header first and the cookie only without one, so a key holder with a
 * Bearer header holds the key by it. Asked only of requests with a Bearer.
 */
function bearerIsLabKey(request: FastifyRequest): boolean {
  const authorization = request.headers.authorization
  // Apps without registerLabKey (unit tests) have no such property.
  return (
    authorization !== undefined &&
    /^bearer /i.test(authorization) &&
    (request.labKeyHolder as boolean | undefined) === true
  )
}

function mightNeedMasking(path: string, raw: readonly string[], keyBearer: boolean): boolean {
  if (keyBearer) return true
  const lab = path.startsWith('/_lab/')
  for (let i = 1; i < raw.length; i += 2) {
    const value = raw[i] ?? ''
    if (value.includes(COOKIE_HINT) || value.includes(KEY_HINT)) return true
    const name = raw[i - 1] ?? ''
    if (lab && name.length === 13 && name.toLowerCase() === 'authorization') return true
  }
  return false
}

/** The request's URL, raw headers and owner as recorded: copies only when something is masked (the common request costs a scan). */
function maskedRequest(request: FastifyRequest): { url: string; rawHeaders: readonly string[]; browser?: string } {
  const { url } = request
  const raw = request.raw.rawHeaders
  const issued = issuedIds.get(request.raw)
  const found: { browserId?: string } = {}
  const path = url.split('?')[0] ?? url
  const keyBearer = bearerIsLabKey(request)
  let rawHeaders = raw
  if (mightNeedMasking(path, raw, keyBearer)) {
    const copy = [...raw]
    for (let i = 1; i < copy.length; i += 2)
      copy[i] = maskHeader(copy[i - 1] ?? '', copy[i] ?? '', path, found, keyBearer)
    rawHeaders = copy
  }
  const browserId = isBrowserId(found.browserId) ? found.browserId : issued
  return { url: maskKeyParam(url), rawHeaders, ...(browserId === undefined ? {} : { browser: browserHash(browserId) }) }
}

function maskedResponseHeaders(headers: Record<string, HeaderValue>, path: string): Record<string, HeaderValue> {
  let copy: Record<string, HeaderValue> | undefined
  for (const [name, value] of Object.entries(headers)) {
    const text = typeof value === 'object' ? value.join('\n') : typeof value === 'string' ? value : ''
    if (!text.includes(COOKIE_HINT) && !text.includes(KEY_HINT)) continue
    copy ??= { ...headers }
    copy[name] =
      typeof value === 'object'
        ? value.map((v) => maskHeader(name, v, path))
        : maskHeader(name, headerText(value), path)
  }
  return copy ?? headers
}

/** An exchange given whole (add()): masked the same way as the hooks' ones. */
function maskExchange<T extends Omit<RecordedExchange, 'seq' | 'role'>>(exchange: T): T {
  const { request, response } = exchange
  const path = request.url.split('?')[0] ?? request.url
  const found: { browserId?: string } = {}
  const headers = request.headers.map(([n, v]): [string, string] => [n, maskHeader(n, v, path, found)])
  const browser = isBrowserId(found.browserId) ? browserHash(found.browserId) : exchange.browser
  return {
    ...exchange,
    ...(browser === undefined ? {} : { browser }),
    request: {
      ...request,
      url: maskKeyParam(request.url),
      headers,
      ...(request.body === undefined ? {} : { body: maskKeyParam(request.body) }),
    },
    response: {
      ...response,
      headers: response.headers.map(([n, v]): [string, string] => [n, maskHeader(n, v, path)]),
    },
  }
}

/**
 * Adds the recording hooks to a server (call before routes). `timedByFastify`: the app has a logger, so Fastify already times
 * each request (reply.elapsedTime) and no hook of ours need stamp its arrival;
 * a hook on every request was measured at a few % of the token endpoint.
 */
export function registerFlowRecorder(app: FastifyInstance, recorder: FlowRecorder, timedByFastify = false): void {
  // Callback-style hooks, and the work in the last one before the response
  // leaves: the cheapest place to see both sides. Form bodies keep their raw text (form-body.ts);
  // other bodies (JSON) are shown as parsed.
  if (!timedByFastify) {
    app.decorateRequest('flowStart', 0)
    app.addHook('onRequest', (request, _reply, done) => {
      request.flowStart = performance.now()
      done()
    })
  }
  app.addHook('onSend', (request, reply, payload, done) => {
    if (NOT_RECORDED.test(request.url)) return done(null, payload)
    // flowStart stays 0 when an earlier onRequest hook answered (e.g. the lab key's redirect).
    const elapsed = timedByFastify
      ? reply.elapsedTime
      : request.flowStart === 0
        ? 0
        : performance.now() - request.flowStart
    const body =
      rawFormBody(request.body) ??
      (request.body === undefined || request.body === null ? undefined : JSON.stringify(request.body))
    const masked = maskedRequest(request)
    recorder.addRaw({
      ...(masked.browser === undefined ? {} : { browser: masked.browser }),
      startedAt: Date.now() - elapsed,
      durationMs: elapsed,
      method: request.method,
      url: masked.url,
      httpVersion: request.raw.httpVersion,
      rawHeaders: masked.rawHeaders,
      ...(body === undefined ? {} : { body: maskKeyParam(body) }),
      status: reply.statusCode,
      responseHeaders: maskedResponseHeaders(reply.getHeaders(), request.url),
      // Streams (static files) are not kept: only text and buffers are shown.
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : undefined,
    })
    done(null, payload)
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    flowStart: number
  }
  interface FastifyInstance {
    /** This server's recorder (present even when the inspector is off, then empty). */
    flowRecorder: FlowRecorder
  }
}

/** Creates the server's recorder, decorates the app with it and, when the inspector is on, records. */
export function setUpFlowRecorder(
  app: FastifyInstance,
  role: Role,
  inspector: { enabled: boolean; capacity: number },
  options: { timedByFastify?: boolean } = {},
): FlowRecorder {
  const recorder = createFlowRecorder(role, inspector.capacity)
  app.decorate('flowRecorder', recorder)
  if (inspector.enabled) registerFlowRecorder(app, recorder, options.timedByFastify)
  return recorder
}
