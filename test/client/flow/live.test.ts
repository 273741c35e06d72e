import { describe, expect, it, vi } from 'vitest'
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { Collector } from '../../../src/client/flow/collect.js'
import { createLiveHub } from '../../../src/client/flow/live.js'

function fakeCollector() {
  const listeners = new Set<() => void>()
  const collector = {
    refresh: vi.fn(async () => undefined),
    exchanges: () => [],
    unavailable: () => [],
    onChange(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {},
  } satisfies Collector
  return { collector, change: () => listeners.forEach((l) => l()), listeners }
}

function fakeResponse() {
  const res = new EventEmitter() as EventEmitter & {
    written: string[]
    ended: boolean
    write(t: string): boolean
    end(): void
  }
  res.written = []
  res.ended = false
  res.write = (text: string) => res.written.push(text) > 0
  res.end = () => {
    res.ended = true
    res.emit('close')
  }
  return res
}

describe('the live hub (server-sent events)', () => {
  it('polls only while a page listens, and sends one update for a burst of changes', async () => {
    vi.useFakeTimers()
    try {
      const { collector, change } = fakeCollector()
      const hub = createLiveHub(collector, { pollMs: 300 })
      await vi.advanceTimersByTimeAsync(1000)
      expect(collector.refresh).not.toHaveBeenCalled()
      const res = fakeResponse()
      hub.add(res as unknown as ServerResponse)
      await vi.advanceTimersByTimeAsync(900)
      expect(collector.refresh).toHaveBeenCalledTimes(3)
      change()
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect(res.written.filter((t) => t.startsWith('event: update\n'))).toHaveLength(1)
      res.emit('close')
      expect(hub.size).toBe(0)
      await vi.advanceTimersByTimeAsync(900)
      expect(collector.refresh).toHaveBeenCalledTimes(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('ends every stream and stops listening when closed', () => {
    const { collector, listeners } = fakeCollector()
    const hub = createLiveHub(collector)
    const res = fakeResponse()
    hub.add(res as unknown as ServerResponse)
    hub.close()
    expect(res.ended).toBe(true)
    expect(hub.size).toBe(0)
    expect(listeners.size).toBe(0)
  })
})
