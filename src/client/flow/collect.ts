// Gathers the exchanges of the three servers: the client's own recorder in
// process, the others over `GET {internalUrl}/_lab/exchanges?since=<seq>`.
// Incremental (a cursor per server), bounded (a ring of merged exchanges), and
// tolerant: a server that is down is reported, and the rest is still shown.

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
  close(): void
}

interface Cursor {
  seq: number
  /** Bumped when the server restarted: its seq numbers start again at 1. */
  epoch: number
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
  const cursors = new Map<Role, Cursor>(deps.sources.map((s) => [s.role, { seq: 0, epoch: 0 }]))
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

  async function pull(source: RemoteSource): Promise<number> {
    const cursor = cursors.get(source.role)!
    try {
      // Asking from the last seen seq must return it again; an empty answer means the server restarted.
      let list = await fetchSince(deps.fetch, source, Math.max(0, cursor.seq - 1), deps.labKey)
      if (cursor.seq > 0 && list.length === 0) {
        cursor.epoch++
        cursor.seq = 0
        list = await fetchSince(deps.fetch, source, 0, deps.labKey)
      }
      delete cursor.failure
      const fresh = list.filter((e) => e.seq > cursor.seq)
      cursor.seq = list.at(-1)?.seq ?? cursor.seq
      return merge(fresh, cursor.epoch)
    } catch (error) {
      cursor.failure = error instanceof Error ? error.message : String(error)
      return 0
    }
  }

  // The client's own exchanges are pushed in only while someone listens (an
  // open inspector page); otherwise the next refresh() pulls them from the
  // recorder's ring, and a request to the client app costs no inspector work.
  let unsubscribe: (() => void) | undefined
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  async function run(): Promise<void> {
    const counts = await Promise.all(deps.sources.map(pull))
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
    close,
  }

  function close(): void {
    unsubscribe?.()
    unsubscribe = undefined
    listeners.clear()
  }
}

async function fetchSince(
  fetchFn: Fetch,
  source: RemoteSource,
  since: number,
  labKey: string | undefined,
): Promise<RecordedExchange[]> {
  const response = await fetchFn(`${source.url}/_lab/exchanges?since=${since}`, {
    headers: { accept: 'application/json', ...(labKey === undefined ? {} : { authorization: `Bearer ${labKey}` }) },
    signal: AbortSignal.timeout(2000),
  })
  if (!response.ok) throw new Error(`GET /_lab/exchanges answered ${response.status} (is INSPECTOR=off there?)`)
  const body = (await response.json()) as { role?: string; exchanges?: RecordedExchange[] }
  if (body.role !== source.role || !Array.isArray(body.exchanges))
    throw new Error(`${source.url} is not the ${source.role}`)
  return body.exchanges
}
