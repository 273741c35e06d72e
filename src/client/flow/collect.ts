// Gathers the exchanges of the three servers: the client's own recorder in
// process, the others over `GET {internalUrl}/_lab/exchanges?since=<seq>`.
// Incremental (a cursor per server), bounded (a ring of merged exchanges), and
// tolerant: a server that is down is reported, and the rest is still shown.
// While a live page listens (watch()), each server is long-polled
// (`&wait=<ms>`): its exchanges arrive as they are recorded, not on a timer.

import { setTimeout as sleep } from 'node:timers/promises'
import type { FlowRecorder } from '../../shared/flow-recorder.js'
import { INSPECTOR_HEADER, requestHeader } from './http.js'
import type { Fetch } from './jwks.js'
import type { RecordedExchange, Role } from './types.js'

export interface RemoteSource {
  readonly role: Exclude<Role, 'client'>
  readonly url: string
}

export interface Unavailable {
  readonly role: Role
  readonly url: string
  readonly reason: string
}

export interface Collector {
  /** Fetches what is new; concurrent callers share one fetch, and a caller never misses what happened before it called. */
  refresh(): Promise<void>
  exchanges(): readonly RecordedExchange[]
  unavailable(): readonly Unavailable[]
  /** Called whenever new exchanges were merged, whoever caused the refresh. */
  onChange(listener: () => void): () => void
  /** Long-polls the servers until the returned function is called; what arrives is merged and told to onChange's listeners. */
  watch(): () => void
  close(): void
}

/** How long one long-poll is held by the server (lab-exchanges-route.ts caps it at 25 s). */
export const WATCH_WAIT_MS = 20_000
/**
 * After a failure, or answers that came at once with nothing (the server's
 * waiters are all taken): not a busy loop. An answer with only what the
 * inspector drops (its own key fetch) is no reason to pause: it came because
 * something was recorded.
 */
const WATCH_PAUSE_MS = 1000
/** Empty answers in a row before a pause: one alone (a server closing, a restart) is asked again at once. */
const WATCH_EMPTY_RUN = 3

interface Cursor {
  seq: number
  /** Bumped when the server restarted: its seq numbers start again at 1. */
  epoch: number
  /** The server's `boot` when last read: another one means it restarted. */
  boot?: string
  /** Every boot seen (one per restart: a handful). */
  readonly boots: Set<string>
  /** How many exchanges the last answer held (before the inspector's own were dropped). */
  answered: number
  failure?: string
}

export function createCollector(deps: {
  readonly fetch: Fetch
  readonly clientRecorder: FlowRecorder
  readonly sources: readonly RemoteSource[]
  readonly capacity: number
  /** Sent as `Authorization: Bearer`: GET /_lab/exchanges is a lab power (every browser's traffic). */
  readonly labKey?: string
}): Collector {
  const merged: Array<{ key: string; exchange: RecordedExchange }> = []
  const keys = new Set<string>()
  const listeners = new Set<() => void>()
  const cursors = new Map<Role, Cursor>(
    deps.sources.map((s) => [s.role, { seq: 0, epoch: 0, boots: new Set<string>(), answered: 0 }]),
  )
  let clientSeq = 0
  // The live hub asks once per open page per change: one copy per change, shared (read-only).
  let view: readonly RecordedExchange[] | undefined

  function merge(list: readonly RecordedExchange[], epoch: number): number {
    let added = 0
    for (const exchange of list) {
      // The inspector's own requests (its JWKS fetch) are no news.
      if (requestHeader(exchange, INSPECTOR_HEADER) !== undefined) continue
      const key = `${exchange.role}:${epoch}:${exchange.seq}`
      if (keys.has(key)) continue
      keys.add(key)
      merged.push({ key, exchange })
      added++
    }
    // Bounded memory: the oldest go first.
    for (const { key } of merged.splice(0, Math.max(0, merged.length - deps.capacity))) keys.delete(key)
    if (added > 0) view = undefined
    return added
  }

  function changed(added: number): void {
    if (added > 0) for (const listener of listeners) listener()
  }

  function pullClient(): number {
    const list = deps.clientRecorder.since(clientSeq)
    clientSeq = list.at(-1)?.seq ?? clientSeq
    return merge(list, 0)
  }

  async function pull(source: RemoteSource, waitMs = 0, signal?: AbortSignal): Promise<number> {
    const cursor = cursors.get(source.role)!
    try {
      let answer = await fetchSince(deps.fetch, source, cursor.seq, deps.labKey, waitMs, signal)
      if (answer.boot !== cursor.boot) {
        // A late answer of the server's run before its restart: already read, or gone.
        if (cursor.boots.has(answer.boot)) return 0
        const restarted = cursor.boot !== undefined
        cursor.boot = answer.boot
        cursor.boots.add(answer.boot)
        // A restarted server (its seq numbers start again): everything it has, as a new epoch.
        if (restarted) {
          cursor.epoch++
          cursor.seq = 0
          answer = await fetchSince(deps.fetch, source, 0, deps.labKey, 0, signal)
        }
      }
      delete cursor.failure
      cursor.answered = answer.exchanges.length
      const fresh = answer.exchanges.filter((e) => e.seq > cursor.seq)
      // The server's own count, too: exchanges it dropped before they were read (a reset) are not asked for again.
      cursor.seq = Math.max(cursor.seq, answer.exchanges.at(-1)?.seq ?? 0, answer.seq)
      return merge(fresh, cursor.epoch)
    } catch (error) {
      // A watch stopped on purpose is no failure of the server.
      if (signal?.aborted !== true) cursor.failure = error instanceof Error ? error.message : String(error)
      return 0
    }
  }

  const watches = new Set<AbortController>()
  /** One source's long-poll loop, until `signal` aborts. */
  async function follow(source: RemoteSource, signal: AbortSignal): Promise<void> {
    const cursor = cursors.get(source.role)!
    let empty = 0
    while (!signal.aborted) {
      const asked = Date.now()
      changed(await pull(source, WATCH_WAIT_MS, signal))
      const quick = cursor.failure === undefined && cursor.answered === 0 && Date.now() - asked < WATCH_PAUSE_MS
      empty = quick ? empty + 1 : 0
      if (cursor.failure !== undefined || empty >= WATCH_EMPTY_RUN) {
        empty = 0
        await sleep(WATCH_PAUSE_MS, undefined, { signal }).catch(() => undefined)
      }
    }
  }

  // The client's own exchanges are pushed in only while someone listens (an
  // open inspector page); otherwise the next refresh() pulls them from the
  // recorder's ring, and a request to the client app costs no inspector work.
  let unsubscribe: (() => void) | undefined
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  async function run(): Promise<void> {
    const counts = await Promise.all(deps.sources.map((source) => pull(source)))
    changed(pullClient() + counts.reduce((a, b) => a + b, 0))
  }

  function refresh(): Promise<void> {
    if (!running) {
      running = run().finally(() => (running = undefined))
      return running
    }
    // A refresh already in flight may have asked before the caller's exchanges existed: run once more after it.
    queued ??= running.then(() => {
      queued = undefined
      return refresh()
    })
    return queued
  }

  return {
    refresh,
    exchanges: () => (view ??= Object.freeze(merged.map((m) => m.exchange))),
    unavailable: () =>
      deps.sources.flatMap((s) => {
        const failure = cursors.get(s.role)!.failure
        return failure === undefined ? [] : [{ role: s.role, url: s.url, reason: failure }]
      }),
    onChange(listener) {
      listeners.add(listener)
      unsubscribe ??= deps.clientRecorder.subscribe(() => changed(pullClient()))
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) close()
      }
    },
    watch() {
      const controller = new AbortController()
      watches.add(controller)
      for (const source of deps.sources) void follow(source, controller.signal)
      return () => {
        controller.abort()
        watches.delete(controller)
      }
    },
    close,
  }

  function close(): void {
    unsubscribe?.()
    unsubscribe = undefined
    listeners.clear()
    for (const controller of watches) controller.abort()
    watches.clear()
  }
}

interface Answer {
  readonly boot: string
  /** The server's latest seq when it answered. */
  readonly seq: number
  readonly exchanges: RecordedExchange[]
}

async function fetchSince(
  fetchFn: Fetch,
  source: RemoteSource,
  since: number,
  labKey: string | undefined,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  const timeout = AbortSignal.timeout(waitMs + 2000)
  const response = await fetchFn(`${source.url}/_lab/exchanges?since=${since}${waitMs > 0 ? `&wait=${waitMs}` : ''}`, {
    headers: { accept: 'application/json', ...(labKey === undefined ? {} : { authorization: `Bearer ${labKey}` }) },
    signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
  })
  if (!response.ok) throw new Error(`GET /_lab/exchanges answered ${response.status} (is INSPECTOR=off there?)`)
  const body = (await response.json()) as { role?: string; boot?: string; seq?: number; exchanges?: RecordedExchange[] }
  if (body.role !== source.role || typeof body.boot !== 'string' || !Array.isArray(body.exchanges))
    throw new Error(`${source.url} is not the ${source.role}`)
  return { boot: body.boot, seq: typeof body.seq === 'number' ? body.seq : 0, exchanges: body.exchanges }
}
