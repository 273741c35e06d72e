// Server-sent events for the inspector page: `event: update` whenever the
// flows its viewer may see change (a browser: its own flows; the lab key's
// holder: any new exchange). The authorization and resource servers are polled
// only while at least one page listens (every 300 ms); the client's own
// exchanges arrive at once through its recorder.
//
// Caps: at most `perBrowser` streams per browser (4) and `total` in all (200).
// A browser opening one more stream closes its own oldest one (a tab left
// open behind), which is told `event: closed` so that it does not reconnect;
// when all `total` are taken, a new stream is refused with 429: a browser
// never closes another browser's stream.

import type { ServerResponse } from 'node:http'
import type { Collector } from './collect.js'
import type { Viewer } from './visibility.js'

export interface LiveHub {
  /** Whether a stream for `bucket` (a browser) would be taken: false means 429. */
  hasRoom(bucket: string): boolean
  /** Adds a stream; closes the bucket's oldest one when the bucket is full. */
  add(res: ServerResponse, viewer: Viewer, bucket: string): void
  readonly size: number
  close(): void
}

export interface LiveOptions {
  readonly pollMs?: number
  readonly heartbeatMs?: number
  readonly perBrowser?: number
  readonly total?: number
}

interface Listener {
  readonly res: ServerResponse
  readonly viewer: Viewer
  readonly bucket: string
  /** The viewer's flows when last told (browsers only). */
  seen: string
}

export const LIVE_PER_BROWSER = 4
export const LIVE_TOTAL = 200

const viewerKey = (viewer: Viewer) => (viewer.kind === 'browser' ? `b:${viewer.browser}` : viewer.kind)

export function createLiveHub(
  collector: Collector,
  fingerprint: (viewer: Viewer) => string,
  opts: LiveOptions = {},
): LiveHub {
  const pollMs = opts.pollMs ?? 300
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const perBrowser = opts.perBrowser ?? LIVE_PER_BROWSER
  const total = opts.total ?? LIVE_TOTAL
  // Insertion order: the oldest stream first.
  const listeners = new Set<Listener>()
  let poll: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let pending: NodeJS.Timeout | undefined

  const send = (text: string) => {
    for (const { res } of listeners) res.write(text)
  }

  /** Tells each stream whose viewer's flows changed (each viewer's flows worked out once). */
  function notify(): void {
    const update = `event: update\ndata: ${JSON.stringify({ at: Date.now() })}\n\n`
    const current = new Map<string, string>()
    for (const listener of listeners) {
      if (listener.viewer.kind === 'all') {
        listener.res.write(update)
        continue
      }
      const key = viewerKey(listener.viewer)
      let now = current.get(key)
      if (now === undefined) current.set(key, (now = fingerprint(listener.viewer)))
      if (now === listener.seen) continue
      listener.seen = now
      listener.res.write(update)
    }
  }

  let stopListening: (() => void) | undefined
  // Several exchanges of one click arrive within milliseconds: one event for them all.
  const onChange = () => {
    pending ??= setTimeout(() => {
      pending = undefined
      notify()
    }, 50)
  }

  // Only while a page listens: with no page open, traffic costs the inspector nothing.
  function start(): void {
    stopListening = collector.onChange(onChange)
    poll = setInterval(() => void collector.refresh().catch(() => undefined), pollMs)
    // A comment line keeps proxies from closing an idle stream.
    heartbeat = setInterval(() => send(': keep-alive\n\n'), heartbeatMs)
  }

  function stop(): void {
    stopListening?.()
    stopListening = undefined
    clearInterval(poll)
    clearInterval(heartbeat)
    poll = heartbeat = undefined
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
    add(res, viewer, bucket) {
      const own = inBucket(bucket)
      for (const oldest of own.slice(0, Math.max(0, own.length - perBrowser + 1))) {
        oldest.res.write(`event: closed\ndata: ${JSON.stringify({ reason: 'newer-page', perBrowser })}\n\n`)
        end(oldest)
      }
      const listener: Listener = { res, viewer, bucket, seen: viewer.kind === 'all' ? '' : fingerprint(viewer) }
      listeners.add(listener)
      // Not on size === 1: an evicted stream may have left the set before its socket closed.
      if (poll === undefined) start()
      res.on('close', () => {
        listeners.delete(listener)
        if (listeners.size === 0) stop()
      })
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
