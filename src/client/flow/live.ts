// Server-sent events for the inspector page: `event: update` whenever new
// exchanges arrive. The authorization and resource servers are polled only
// while at least one page listens (every 300 ms); the client's own exchanges
// arrive at once through its recorder.

import type { ServerResponse } from 'node:http'
import type { Collector } from './collect.js'

export interface LiveHub {
  add(res: ServerResponse): void
  readonly size: number
  close(): void
}

export function createLiveHub(collector: Collector, opts: { pollMs?: number; heartbeatMs?: number } = {}): LiveHub {
  const pollMs = opts.pollMs ?? 300
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const listeners = new Set<ServerResponse>()
  let poll: NodeJS.Timeout | undefined
  let heartbeat: NodeJS.Timeout | undefined
  let pending: NodeJS.Timeout | undefined

  const send = (text: string) => {
    for (const res of listeners) res.write(text)
  }
  let stopListening: (() => void) | undefined
  // Several exchanges of one click arrive within milliseconds: one event for them all.
  const onChange = () => {
    pending ??= setTimeout(() => {
      pending = undefined
      send(`event: update\ndata: ${JSON.stringify({ at: Date.now() })}\n\n`)
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

  return {
    add(res) {
      listeners.add(res)
      if (listeners.size === 1) start()
      res.on('close', () => {
        listeners.delete(res)
        if (listeners.size === 0) stop()
      })
    },
    get size() {
      return listeners.size
    },
    close() {
      stop()
      clearTimeout(pending)
      // End the stream and its socket: a keep-alive socket left behind would
      // hold app.close() for the whole keep-alive timeout.
      for (const res of listeners) {
        res.end()
        res.socket?.destroySoon()
      }
      listeners.clear()
    },
  }
}
