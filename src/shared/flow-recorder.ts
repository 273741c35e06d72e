// The flow inspector's eyes: every server records the HTTP exchanges it sees
// (request line, headers and body; status, headers and body), in a bounded
// ring, served at GET /_lab/exchanges (lab-exchanges-route.ts). A flow's
// secrets (passwords, codes, tokens) are recorded ON PURPOSE: showing them to
// the browser whose flow it is, is what the lab is for. What no one needs to
// see is masked before anything is kept (flow-masking.ts). INSPECTOR=off turns
// it all off.

import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { maskedRequest, maskedResponseHeaders, maskExchange, maskKeyParam } from './flow-masking.js'
import { rawFormBody } from './form-body.js'
import type { RoleName } from './roles.js'

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

export type HeaderValue = number | string | readonly string[] | undefined

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
  /** Made anew each time the server starts: a reader that sees it change knows the seq numbers started again. */
  readonly boot: string
  /** The seq of the latest exchange recorded (0: none yet). */
  latest(): number
  add(exchange: Omit<RecordedExchange, 'seq' | 'role'>): RecordedExchange
  /** The hooks' cheap path: the exchange is formatted on first read. */
  addRaw(raw: RawExchange): void
  /** Exchanges with seq greater than `seq`, oldest first. */
  since(seq: number): RecordedExchange[]
  /** Called after each new exchange; returns an unsubscribe function. */
  subscribe(listener: (exchange: RecordedExchange) => void): () => void
  /**
   * Resolves once an exchange newer than `after` is recorded, after `ms`, or
   * when `signal` aborts; at once when there is one already, or when
   * MAX_WAITERS wait already (a long-poll, lab-exchanges-route.ts).
   */
  waitNewer(after: number, ms: number, signal: AbortSignal): Promise<void>
  /** Resolves every wait now (the server is closing). */
  releaseWaiters(): void
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
/** Long-polls waiting at once: the client app's inspector holds one per server; a few more for scripts. */
export const MAX_WAITERS = 16
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
  const waiters = new Set<() => void>()
  const boot = randomUUID()
  let seq = 0
  function wake(): void {
    for (const release of [...waiters]) release()
  }
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
    if (waiters.size > 0) wake()
  }
  return {
    role,
    boot,
    latest: () => seq,
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
    waitNewer(after, ms, signal) {
      if (seq > after || waiters.size >= MAX_WAITERS || signal.aborted) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer)
          signal.removeEventListener('abort', release)
          waiters.delete(release)
          resolve()
        }
        const timer = setTimeout(release, ms)
        signal.addEventListener('abort', release, { once: true })
        waiters.add(release)
      })
    },
    releaseWaiters: wake,
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

/** flowPayload of a request not recorded (yet): a payload itself may be undefined or null. */
const NOT_SENT: unique symbol = Symbol('oauth-lab.flowPayload.notSent')

/**
 * Adds the recording hooks to a server (call before routes). `timedByFastify`: the app has a logger, so Fastify already times
 * each request (reply.elapsedTime) and no hook of ours need stamp its arrival;
 * a hook on every request was measured at a few % of the token endpoint.
 */
export function registerFlowRecorder(app: FastifyInstance, recorder: FlowRecorder, timedByFastify = false): void {
  // Callback-style hooks. Form bodies keep their raw text (form-body.ts);
  // other bodies (JSON) are shown as parsed.
  if (!timedByFastify) {
    app.decorateRequest('flowStart', 0)
    app.addHook('onRequest', (request, _reply, done) => {
      request.flowStart = performance.now()
      done()
    })
  }
  // The payload is seen in onSend, the headers as sent in onResponse: the
  // session plugins write their Set-Cookie in onSend hooks of their own, which
  // run after this one, and where the session holding the flow's state and PKCE
  // verifier comes from is part of the lesson.
  // The payload waits on the request itself, in a property every request
  // has from the start (a decoration): a WeakMap keyed by the request cost a
  // hash lookup three times per request, and ephemeron work at each GC.
  app.decorateRequest('flowPayload', NOT_SENT)
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (!NOT_RECORDED.test(request.url)) request.flowPayload = payload
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const payload = request.flowPayload
    if (payload === NOT_SENT) return done()
    request.flowPayload = NOT_SENT
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
    done()
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    flowStart: number
    /** What onSend saw of a recorded request's answer, until onResponse records it; NOT_SENT otherwise. */
    flowPayload: unknown
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
