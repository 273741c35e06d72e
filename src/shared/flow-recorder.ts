// The flow inspector's eyes: every server records the HTTP exchanges it sees
// (request line, headers and body; status, headers and body), in a bounded
// ring, served at GET /_lab/exchanges (lab-exchanges-route.ts). Secrets are recorded ON
// PURPOSE: showing them is what the lab is for. INSPECTOR=off turns it off.

import type { FastifyInstance } from 'fastify'
import { rawFormBody } from './form-body.js'
import type { RoleName } from './roles.js'

export type Role = RoleName

export type HeaderList = Array<[string, string]>

export interface RecordedExchange {
  /** Per server, increasing: `since` queries use it. */
  readonly seq: number
  readonly role: Role
  readonly startedAt: number
  readonly durationMs: number
  readonly request: {
    readonly method: string
    readonly url: string
    readonly httpVersion: string
    /** In the order they came on the wire. */
    readonly headers: HeaderList
    readonly body?: string
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

const MAX_BODY = 64 * 1024
// What is not part of a flow: health checks, the stylesheet, the inspector itself.
const NOT_RECORDED = /^\/(healthz|assets\/|_lab\/|flow(\/|\?|$)|favicon\.ico)/

interface Entry {
  readonly seq: number
  raw?: RawExchange
  exchange?: RecordedExchange
}

function materialize(entry: Entry, role: Role): RecordedExchange {
  if (!entry.exchange) {
    const raw = entry.raw!
    entry.exchange = {
      seq: entry.seq,
      role,
      startedAt: raw.startedAt,
      durationMs: raw.durationMs,
      request: {
        method: raw.method,
        url: raw.url,
        httpVersion: raw.httpVersion,
        headers: pairs(raw.rawHeaders),
        ...(raw.body === undefined ? {} : { body: raw.body }),
      },
      response: { status: raw.status, headers: headerList(raw.responseHeaders), ...payloadText(raw.payload) },
    }
    entry.raw = undefined
  }
  return entry.exchange
}

export function createFlowRecorder(role: Role, capacity: number): FlowRecorder {
  // A circular buffer: once full, each new entry overwrites the oldest in
  // place (an array shifted on every request was a copy of the whole ring).
  const ring = new Array<Entry | undefined>(capacity)
  let next = 0
  let count = 0
  const listeners = new Set<(exchange: RecordedExchange) => void>()
  let seq = 0
  function push(entry: Entry): void {
    if (capacity === 0) return
    ring[next] = entry
    next = (next + 1) % capacity
    count = Math.min(count + 1, capacity)
    if (listeners.size > 0) {
      const exchange = materialize(entry, role)
      for (const listener of listeners) listener(exchange)
    }
  }
  return {
    role,
    add(exchange) {
      const entry: Entry = { seq: ++seq, exchange: { ...exchange, seq, role } }
      push(entry)
      return entry.exchange!
    },
    addRaw(raw) {
      push({ seq: ++seq, raw })
    },
    since(after) {
      // Newest first until one is not newer; then oldest first.
      const newer: RecordedExchange[] = []
      for (let k = 1; k <= count; k++) {
        const entry = ring[(next - k + capacity) % capacity]!
        if (entry.seq <= after) break
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
    const elapsed = timedByFastify ? reply.elapsedTime : performance.now() - request.flowStart
    const body =
      rawFormBody(request.body) ??
      (request.body === undefined || request.body === null ? undefined : JSON.stringify(request.body))
    recorder.addRaw({
      startedAt: Date.now() - elapsed,
      durationMs: elapsed,
      method: request.method,
      url: request.url,
      httpVersion: request.raw.httpVersion,
      rawHeaders: request.raw.rawHeaders,
      ...(body === undefined ? {} : { body }),
      status: reply.statusCode,
      responseHeaders: reply.getHeaders(),
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
