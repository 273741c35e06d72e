// Server-sent events for the inspector page and the teacher's grid, whenever
// the flows their viewer may see change (a browser: its own flows; the lab
// key's holder: any new exchange). A stream added with a `Push` is sent the
// changed content itself (flow/push.ts: the rendered section of the page's
// flow, the teacher's grid), worked out once per push key per change and sent
// only when it differs from what that stream last got; one without is sent
// `event: update` and fetches what it needs. The authorization and resource
// servers are long-polled only while at least one page listens (their
// exchanges arrive as they are recorded); the client's own arrive at once
// through its recorder.
//
// Caps: at most `perBrowser` streams per browser (4) and `total` in all (200).
// A browser opening one more stream closes its own oldest one (a tab left
// open behind), which is told `event: closed` so that it does not reconnect;
// when all `total` are taken, a new stream is refused with 429: a browser
// never closes another browser's stream.

import { createHash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Collector } from './collect.js'
import type { Viewer } from './visibility.js'

export interface LiveHub {
  /** Whether a stream for `bucket` (a browser) would be taken: false means 429. */
  hasRoom(bucket: string): boolean
  /** Adds a stream; closes the bucket's oldest one when the bucket is full. */
  add(res: ServerResponse, viewer: Viewer, bucket: string, push?: Push): void
  /** Something the streams show changed besides the exchanges (a learner joined, the room was reset). */
  changed(): void
  readonly size: number
  close(): void
}

export interface LiveOptions {
  readonly heartbeatMs?: number
  readonly perBrowser?: number
  readonly total?: number
}

/** What a stream is sent on a change instead of `event: update`. */
export interface Push {
  /** Streams whose pushes share a key are sent the same event: it is worked out once per change. */
  readonly key: string
  /** The event's name and data, from what was already collected; the hub adds `at`, the time it was sent. */
  render(): Promise<PushEvent>
}

export interface PushEvent {
  readonly name: string
  readonly data: Readonly<Record<string, unknown>>
  /** What tells one content from another, when the data does not (it is sent in parts): by default, of the data. */
  readonly digest?: string
}

interface Listener {
  readonly res: ServerResponse
  readonly viewer: Viewer
  readonly bucket: string
  readonly push: Push | undefined
  /** The viewer's flows when last told (browsers only). */
  seen: string
  /** A digest of the last event pushed: the same content is not sent twice. */
  sent?: string
}

export const LIVE_PER_BROWSER = 4
export const LIVE_TOTAL = 200

/** One key per viewer: browsers by their hash, the lab key's holder as `all`. */
export const viewerKey = (viewer: Viewer) => (viewer.kind === 'browser' ? `b:${viewer.browser}` : viewer.kind)

interface Digested {
  readonly event: string
  /** Of the content without `at`: what a stream keeps as `sent`, so the same content is not sent twice. */
  readonly digest: string
}

/** The push's event (a server-sent event: JSON keeps its data on one line) with its digest; a push that cannot be worked out falls back to `update`: the page fetches instead. */
async function digested(push: Push, update: string): Promise<Digested> {
  try {
    const { name, data, digest } = await push.render()
    // The data (a whole rendered section) is turned into JSON once: for the digest, then the event with `at` first.
    const json = JSON.stringify(data)
    const stamped = json === '{}' ? `{"at":${Date.now()}}` : `{"at":${Date.now()},${json.slice(1)}`
    return {
      event: `event: ${name}\ndata: ${stamped}\n\n`,
      digest: digest ?? createHash('sha256').update(name).update(json).digest('base64url'),
    }
  } catch {
    return { event: update, digest: createHash('sha256').update(update).digest('base64url') }
  }
}

export function createLiveHub(
  collector: Collector,
  fingerprint: (viewer: Viewer) => string,
  opts: LiveOptions = {},
): LiveHub {
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const perBrowser = opts.perBrowser ?? LIVE_PER_BROWSER
  const total = opts.total ?? LIVE_TOTAL
  // Insertion order: the oldest stream first.
  const listeners = new Set<Listener>()
  let stopWatching: (() => void) | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let pending: NodeJS.Timeout | undefined

  const send = (text: string) => {
    for (const { res } of listeners) res.write(text)
  }

  /** Whether the listener's viewer's flows changed since it was last told (each viewer's worked out once). */
  function concerned(listener: Listener, current: Map<string, string>): boolean {
    if (listener.viewer.kind === 'all') return true
    const key = viewerKey(listener.viewer)
    let now = current.get(key)
    if (now === undefined) current.set(key, (now = fingerprint(listener.viewer)))
    if (now === listener.seen) return false
    listener.seen = now
    return true
  }

  /** Tells each stream whose viewer's flows changed: pushed content, or `update`. */
  async function notify(): Promise<void> {
    const update = `event: update\ndata: ${JSON.stringify({ at: Date.now() })}\n\n`
    const current = new Map<string, string>()
    // Each push key's event and its digest: worked out once per change for every stream sharing the key.
    const rendered = new Map<string, Promise<Digested>>()
    for (const listener of [...listeners]) {
      if (!concerned(listener, current)) continue
      const { push } = listener
      if (push === undefined) {
        listener.res.write(update)
        continue
      }
      let pending = rendered.get(push.key)
      if (pending === undefined) rendered.set(push.key, (pending = digested(push, update)))
      const { event, digest } = await pending
      // The stream may have closed while the content was worked out.
      if (digest === listener.sent || !listeners.has(listener)) continue
      listener.sent = digest
      listener.res.write(event)
    }
  }

  let stopListening: (() => void) | undefined
  let notifying: Promise<void> | undefined
  let again = false
  function flush(): void {
    pending = undefined
    // One notification at a time, so that each stream gets its events in order; a change meanwhile runs once more.
    if (notifying) {
      again = true
      return
    }
    notifying = notify()
      .catch(() => undefined)
      .finally(() => {
        notifying = undefined
        if (again) {
          again = false
          onChange()
        }
      })
  }
  // Several exchanges of one click arrive within milliseconds: one event for them all.
  const onChange = () => {
    pending ??= setTimeout(flush, 50)
  }

  // Only while a page listens: with no page open, traffic costs the inspector nothing.
  function start(): void {
    stopListening = collector.onChange(onChange)
    stopWatching = collector.watch()
    // A comment line keeps proxies from closing an idle stream.
    heartbeat = setInterval(() => send(': keep-alive\n\n'), heartbeatMs)
  }

  function stop(): void {
    stopListening?.()
    stopWatching?.()
    stopListening = stopWatching = undefined
    clearInterval(heartbeat)
    heartbeat = undefined
  }

  function end(listener: Listener): void {
    listeners.delete(listener)
    listener.res.end()
    // A keep-alive socket left behind would hold app.close() for the whole keep-alive timeout.
    listener.res.socket?.destroySoon()
  }

  const inBucket = (bucket: string) => [...listeners].filter((l) => l.bucket === bucket)

  return {
    hasRoom(bucket) {
      return listeners.size < total || inBucket(bucket).length >= perBrowser
    },
    add(res, viewer, bucket, push) {
      const own = inBucket(bucket)
      for (const oldest of own.slice(0, Math.max(0, own.length - perBrowser + 1))) {
        oldest.res.write(`event: closed\ndata: ${JSON.stringify({ reason: 'newer-page', perBrowser })}\n\n`)
        end(oldest)
      }
      const listener: Listener = {
        res,
        viewer,
        bucket,
        push,
        seen: viewer.kind === 'all' ? '' : fingerprint(viewer),
      }
      listeners.add(listener)
      // Not on size === 1: an evicted stream may have left the set before its socket closed.
      if (stopWatching === undefined) start()
      res.on('close', () => {
        listeners.delete(listener)
        if (listeners.size === 0) stop()
      })
    },
    changed() {
      if (listeners.size > 0) onChange()
    },
    get size() {
      return listeners.size
    },
    close() {
      stop()
      clearTimeout(pending)
      for (const listener of [...listeners]) end(listener)
    },
  }
}
