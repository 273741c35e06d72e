import { describe, expect, it, vi } from 'vitest'
import { first } from '../../helpers/lists.js'
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { Collector } from '../../../src/client/flow/collect.js'
import { createLiveHub, type Push } from '../../../src/client/flow/live.js'
import type { Viewer } from '../../../src/client/flow/visibility.js'

const ALL: Viewer = { kind: 'all' }
const browserA: Viewer = { kind: 'browser', browser: 'A' }
const browserB: Viewer = { kind: 'browser', browser: 'B' }

function fakeCollector() {
  const listeners = new Set<() => void>()
  const watching = { started: 0, stopped: 0 }
  const collector = {
    refresh: vi.fn(async () => undefined),
    watch() {
      watching.started++
      return () => watching.stopped++
    },
    exchanges: () => [],
    unavailable: () => [],
    onChange(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {},
  } satisfies Collector
  return { collector, change: () => listeners.forEach((l) => l()), listeners, watching }
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
  it('watches the servers only while a page listens, and sends one update for a burst of changes', async () => {
    vi.useFakeTimers()
    try {
      const { collector, change, watching } = fakeCollector()
      let flows = 'f1:3'
      const hub = createLiveHub(collector, () => flows)
      await vi.advanceTimersByTimeAsync(1000)
      expect(watching).toEqual({ started: 0, stopped: 0 })
      const [res, other] = [fakeResponse(), fakeResponse()]
      hub.add(res as unknown as ServerResponse, ALL, 'all')
      hub.add(other as unknown as ServerResponse, ALL, 'all')
      // One watch for all the pages.
      expect(watching).toEqual({ started: 1, stopped: 0 })
      flows = 'f1:4'
      change()
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect(res.written.filter((t) => t.startsWith('event: update\n'))).toHaveLength(1)
      res.emit('close')
      expect(watching).toEqual({ started: 1, stopped: 0 })
      other.emit('close')
      expect(hub.size).toBe(0)
      expect(watching).toEqual({ started: 1, stopped: 1 })
      // No page, no polling: the collector is never asked on a timer.
      await vi.advanceTimersByTimeAsync(900)
      expect(collector.refresh).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
  })

  it('ends every stream and stops listening when closed', () => {
    const { collector, listeners } = fakeCollector()
    const hub = createLiveHub(collector, () => '')
    const res = fakeResponse()
    hub.add(res as unknown as ServerResponse, ALL, 'all')
    hub.close()
    expect(res.ended).toBe(true)
    expect(hub.size).toBe(0)
    expect(listeners.size).toBe(0)
  })

  it('tells a browser only when its own flows change', async () => {
    vi.useFakeTimers()
    try {
      const { collector, change } = fakeCollector()
      const flows: Record<string, string> = { A: 'fa:1', B: 'fb:1' }
      const fingerprint = (viewer: Viewer) => (viewer.kind === 'browser' ? (flows[viewer.browser] ?? '') : '')
      const hub = createLiveHub(collector, fingerprint)
      const [a, b, all] = [fakeResponse(), fakeResponse(), fakeResponse()]
      hub.add(a as unknown as ServerResponse, browserA, 'A')
      hub.add(b as unknown as ServerResponse, browserB, 'B')
      hub.add(all as unknown as ServerResponse, ALL, 'all')
      const updates = (res: ReturnType<typeof fakeResponse>) =>
        res.written.filter((t) => t.startsWith('event: update\n')).length
      flows.A = 'fa:2'
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect([updates(a), updates(b), updates(all)]).toEqual([1, 0, 1])
      // Traffic that is no browser's flow: only the lab key's holder hears of it.
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect([updates(a), updates(b), updates(all)]).toEqual([1, 0, 2])
      hub.close()
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps at most perBrowser streams per browser, closing its oldest, and refuses past the total', () => {
    const { collector, listeners } = fakeCollector()
    const hub = createLiveHub(collector, () => '', { perBrowser: 4, total: 10 })
    const opened: Array<ReturnType<typeof fakeResponse>> = []
    // A bounded loop: 12 pages of one browser.
    for (let i = 0; i < 12; i++) {
      expect(hub.hasRoom('A')).toBe(true)
      const res = fakeResponse()
      hub.add(res as unknown as ServerResponse, browserA, 'A')
      opened.push(res)
      expect(hub.size).toBeLessThanOrEqual(4)
    }
    expect(opened.filter((r) => !r.ended)).toEqual(opened.slice(8))
    expect(first(opened).written.some((t) => t.startsWith('event: closed\n'))).toBe(true)
    // Ten browsers with one page each fill the total; an eleventh browser is refused, a full browser may still rotate.
    for (let i = 0; i < 6; i++) hub.add(fakeResponse() as unknown as ServerResponse, browserB, `other-${i}`)
    expect(hub.size).toBe(10)
    expect(hub.hasRoom('newcomer')).toBe(false)
    expect(hub.hasRoom('A')).toBe(true)
    hub.close()
    expect(hub.size).toBe(0)
    expect(listeners.size).toBe(0)
  })

  it('pushes content worked out once per key per change, only to the streams it concerns, never twice the same', async () => {
    vi.useFakeTimers()
    try {
      const { collector, change } = fakeCollector()
      const flows: Record<string, string> = { A: 'fa:1', B: 'fb:1' }
      const fingerprint = (viewer: Viewer) => (viewer.kind === 'browser' ? (flows[viewer.browser] ?? '') : '')
      const hub = createLiveHub(collector, fingerprint)
      const renders: Record<string, number> = {}
      let content = 'v1'
      const push = (key: string): Push => ({
        key,
        render: async () => {
          renders[key] = (renders[key] ?? 0) + 1
          return { name: 'section', data: { key, content } }
        },
      })
      // Two pages of browser A on the same view, one of B, and the lab key's holder.
      const [a1, a2, b, all] = [fakeResponse(), fakeResponse(), fakeResponse(), fakeResponse()]
      hub.add(a1 as unknown as ServerResponse, browserA, 'A', push('A|latest'))
      hub.add(a2 as unknown as ServerResponse, browserA, 'A', push('A|latest'))
      hub.add(b as unknown as ServerResponse, browserB, 'B', push('B|latest'))
      hub.add(all as unknown as ServerResponse, ALL, 'all', push('all|latest'))
      const pushed = (res: ReturnType<typeof fakeResponse>) =>
        res.written.filter((t) => t.startsWith('event: section\n'))
      flows.A = 'fa:2'
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect([pushed(a1).length, pushed(a2).length, pushed(b).length, pushed(all).length]).toEqual([1, 1, 0, 1])
      expect(first(pushed(a1))).toContain('"key":"A|latest"')
      // Stamped with the time it was sent, which does not count as a change.
      expect(first(pushed(a1))).toMatch(/^event: section\ndata: \{"at":\d+,"key"/)
      expect(renders).toEqual({ 'A|latest': 1, 'all|latest': 1 })
      // A change that leaves the lab key's view as it was (a later time): worked out, but not sent again.
      await vi.advanceTimersByTimeAsync(1000)
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect(pushed(all)).toHaveLength(1)
      content = 'v2'
      change()
      await vi.advanceTimersByTimeAsync(60)
      expect([pushed(a1).length, pushed(b).length, pushed(all).length]).toEqual([1, 0, 2])
      // No `update` for a stream that is pushed content.
      expect([a1, a2, b, all].some((r) => r.written.some((t) => t.startsWith('event: update')))).toBe(false)
      hub.close()
    } finally {
      vi.useRealTimers()
    }
  })
})
