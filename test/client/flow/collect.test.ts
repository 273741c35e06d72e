import { describe, expect, it, vi } from 'vitest'
import { createCollector, type RemoteSource } from '../../../src/client/flow/collect.js'
import { createFlowRecorder, type FlowRecorder } from '../../../src/shared/flow-recorder.js'

const AS: RemoteSource = { role: 'auth-server', url: 'http://as' }
const RS: RemoteSource = { role: 'resource-server', url: 'http://rs' }

function entry(url: string, headers: Array<[string, string]> = []) {
  return {
    startedAt: Date.now(),
    durationMs: 1,
    request: { method: 'GET', url, httpVersion: '1.1', headers },
    response: { status: 200, headers: [] },
  }
}

/** Two real recorders behind a fake fetch that serves GET /_lab/exchanges, as the servers do (its long-poll included). */
function lab() {
  const servers = new Map<string, FlowRecorder>([
    ['http://as', createFlowRecorder('auth-server', 100)],
    ['http://rs', createFlowRecorder('resource-server', 100)],
  ])
  const asked: string[] = []
  const down = new Set<string>()
  /** Servers whose long-poll answers at once (all their waiters taken). */
  const busy = new Set<string>()
  const fetchStub = (async (input: string, init?: RequestInit) => {
    asked.push(input)
    const url = new URL(input)
    if (down.has(url.origin)) throw new TypeError('fetch failed')
    const recorder = servers.get(url.origin)!
    const since = Number(url.searchParams.get('since'))
    const wait = Number(url.searchParams.get('wait') ?? 0)
    if (wait > 0 && !busy.has(url.origin))
      await recorder.waitNewer(since, wait, init?.signal ?? new AbortController().signal)
    init?.signal?.throwIfAborted()
    return new Response(
      JSON.stringify({
        role: recorder.role,
        boot: recorder.boot,
        seq: recorder.latest(),
        exchanges: recorder.since(since),
      }),
      { status: 200 },
    )
  }) as unknown as typeof fetch
  /** A collector of `sources` through the stub, with a client recorder of its own. */
  const collector = (sources: RemoteSource[], capacity: number) =>
    createCollector({ fetch: fetchStub, clientRecorder: createFlowRecorder('client', 10), sources, capacity })
  return { servers, asked, down, busy, fetchStub, collector, as: () => servers.get('http://as')! }
}

describe('the collector', () => {
  it('merges the three servers incrementally, with a cursor per server', async () => {
    const l = lab()
    const client = createFlowRecorder('client', 100)
    const collector = createCollector({ fetch: l.fetchStub, clientRecorder: client, sources: [AS, RS], capacity: 100 })
    l.as().add(entry('/authorize'))
    client.add(entry('/connect'))
    await collector.refresh()
    expect(
      collector
        .exchanges()
        .map((e) => `${e.role} ${e.request.url}`)
        .sort(),
    ).toEqual(['auth-server /authorize', 'client /connect'])
    l.as().add(entry('/token'))
    await collector.refresh()
    expect(collector.exchanges()).toHaveLength(3)
    // The second ask starts after the last seq seen.
    expect(l.asked.filter((u) => u.startsWith('http://as'))).toEqual([
      'http://as/_lab/exchanges?since=0',
      'http://as/_lab/exchanges?since=1',
    ])
    await collector.refresh()
    expect(l.asked.at(-2)).toBe('http://as/_lab/exchanges?since=2')
    expect(collector.exchanges()).toHaveLength(3)
  })

  it('listens to the client recorder only while someone listens; what came meanwhile arrives on the next refresh', async () => {
    const l = lab()
    const recorder = createFlowRecorder('client', 100)
    let subscriptions = 0
    // The real recorder, counting who subscribes to it.
    const client: FlowRecorder = {
      ...recorder,
      subscribe(listener) {
        subscriptions++
        const off = recorder.subscribe(listener)
        return () => {
          subscriptions--
          off()
        }
      },
    }
    const collector = createCollector({ fetch: l.fetchStub, clientRecorder: client, sources: [AS, RS], capacity: 100 })
    expect(subscriptions).toBe(0)
    recorder.add(entry('/connect'))
    expect(collector.exchanges()).toHaveLength(0)
    let changes = 0
    const stop = collector.onChange(() => changes++)
    expect(subscriptions).toBe(1)
    recorder.add(entry('/authenticated'))
    expect(changes).toBe(1)
    stop()
    expect(subscriptions).toBe(0)
    recorder.add(entry('/fetch-resource'))
    expect(changes).toBe(1)
    await collector.refresh()
    expect(collector.exchanges().map((e) => e.request.url)).toEqual(['/connect', '/authenticated', '/fetch-resource'])
  })

  it('hears the client at once, and tells listeners about every change', async () => {
    const l = lab()
    const client = createFlowRecorder('client', 100)
    const collector = createCollector({ fetch: l.fetchStub, clientRecorder: client, sources: [AS, RS], capacity: 100 })
    let changes = 0
    collector.onChange(() => changes++)
    client.add(entry('/connect'))
    expect(changes).toBe(1)
    expect(collector.exchanges()).toHaveLength(1)
    await collector.refresh()
    expect(changes).toBe(1)
    l.as().add(entry('/authorize'))
    await collector.refresh()
    expect(changes).toBe(2)
  })

  it('keeps at most its capacity, oldest out first', async () => {
    const l = lab()
    const collector = l.collector([AS], 3)
    for (let i = 0; i < 5; i++) l.as().add(entry(`/a${i}`))
    await collector.refresh()
    expect(collector.exchanges().map((e) => e.request.url)).toEqual(['/a2', '/a3', '/a4'])
  })

  it('shows what it has when a server is down, and says which', async () => {
    const l = lab()
    const collector = l.collector([AS, RS], 10)
    l.as().add(entry('/authorize'))
    l.down.add('http://rs')
    await collector.refresh()
    expect(collector.exchanges()).toHaveLength(1)
    expect(collector.unavailable()).toEqual([{ role: 'resource-server', url: 'http://rs', reason: 'fetch failed' }])
    l.down.clear()
    await collector.refresh()
    expect(collector.unavailable()).toEqual([])
  })

  it('notices a restarted server (its seq numbers start again) and keeps both runs', async () => {
    const l = lab()
    const collector = l.collector([AS], 10)
    l.as().add(entry('/before-1'))
    l.as().add(entry('/before-2'))
    await collector.refresh()
    l.servers.set('http://as', createFlowRecorder('auth-server', 100))
    l.as().add(entry('/after-1'))
    await collector.refresh()
    expect(collector.exchanges().map((e) => e.request.url)).toEqual(['/before-1', '/before-2', '/after-1'])
  })

  it('drops the inspector\u2019s own requests', async () => {
    const l = lab()
    const collector = l.collector([AS], 10)
    l.as().add(entry('/jwks', [['x-oauth-lab-inspector', 'jwks']]))
    await collector.refresh()
    expect(collector.exchanges()).toEqual([])
  })

  it('lets concurrent callers share a fetch, and never answers a caller with a fetch older than its call', async () => {
    const l = lab()
    const collector = l.collector([AS], 10)
    const first = collector.refresh()
    l.as().add(entry('/late'))
    const second = collector.refresh()
    const third = collector.refresh()
    await Promise.all([first, second, third])
    expect(collector.exchanges().map((e) => e.request.url)).toEqual(['/late'])
    expect(l.asked).toHaveLength(2)
  })

  it('watching, hears a server\u2019s exchange as it is recorded, with no refresh, until stopped', async () => {
    const l = lab()
    const collector = l.collector([AS, RS], 10)
    const heard: string[] = []
    collector.onChange(() =>
      heard.push(
        collector
          .exchanges()
          .map((e) => e.request.url)
          .join(','),
      ),
    )
    const stop = collector.watch()
    // Each server is asked once and holds the answer (bounded wait: the waits below end long before 20 s).
    await vi.waitFor(() => expect(l.asked.filter((u) => u.includes('&wait=20000'))).toHaveLength(2))
    l.as().add(entry('/authorize'))
    await vi.waitFor(() => expect(heard).toEqual(['/authorize']))
    l.as().add(entry('/login'))
    await vi.waitFor(() => expect(heard).toEqual(['/authorize', '/authorize,/login']))
    expect(l.asked.filter((u) => !u.includes('&wait='))).toEqual([])
    stop()
    l.as().add(entry('/consent'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(heard).toHaveLength(2)
    // Stopped on purpose: no server is reported down.
    expect(collector.unavailable()).toEqual([])
  })

  it('watching, waits a pause after a failure instead of asking again at once', async () => {
    const l = lab()
    const collector = l.collector([AS], 10)
    l.down.add('http://as')
    const stop = collector.watch()
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(l.asked).toHaveLength(1)
    expect(collector.unavailable().map((u) => u.role)).toEqual(['auth-server'])
    l.down.clear()
    l.as().add(entry('/authorize'))
    await vi.waitFor(() => expect(collector.exchanges().map((e) => e.request.url)).toEqual(['/authorize']), {
      timeout: 3000,
    })
    expect(collector.unavailable()).toEqual([])
    stop()
  })

  it('hands out the same read-only list until something new is merged, then a new one', async () => {
    const l = lab()
    const collector = l.collector([AS], 2)
    l.as().add(entry('/a1'))
    await collector.refresh()
    const before = collector.exchanges()
    expect(Object.isFrozen(before)).toBe(true)
    // Nothing new: the same list, however often it is asked for.
    await collector.refresh()
    expect(collector.exchanges()).toBe(before)
    l.as().add(entry('/a2'))
    l.as().add(entry('/a3'))
    await collector.refresh()
    const after = collector.exchanges()
    expect(after).not.toBe(before)
    expect(after.map((e) => e.request.url)).toEqual(['/a2', '/a3'])
    // The list handed out before is left as it was.
    expect(before.map((e) => e.request.url)).toEqual(['/a1'])
  })

  it('watching, does not pause after an answer that held only the inspector\u2019s own request', async () => {
    const l = lab()
    const collector = l.collector([AS], 10)
    const stop = collector.watch()
    await vi.waitFor(() => expect(l.asked).toHaveLength(1))
    // The inspector's key fetch wakes the long-poll and is dropped; the sign-in right after must not wait a pause.
    l.as().add(entry('/jwks', [['x-oauth-lab-inspector', 'jwks']]))
    await vi.waitFor(() => expect(l.asked).toHaveLength(2))
    l.as().add(entry('/login'))
    await vi.waitFor(() => expect(collector.exchanges().map((e) => e.request.url)).toEqual(['/login']), {
      timeout: 500,
    })
    stop()
  })

  it('moves past what the server dropped unread (a reset): it is not asked for again', async () => {
    const l = lab()
    const collector = l.collector([AS], 10)
    l.as().add(entry('/a1'))
    l.as().add(entry('/a2'))
    l.as().clear()
    await collector.refresh()
    expect(collector.exchanges()).toEqual([])
    await collector.refresh()
    expect(l.asked.at(-1)).toBe('http://as/_lab/exchanges?since=2')
  })

  it('watching, pauses when the server answers at once with nothing, again and again (its waiters all taken)', async () => {
    const l = lab()
    l.busy.add('http://as')
    const collector = l.collector([AS], 10)
    const stop = collector.watch()
    await new Promise((resolve) => setTimeout(resolve, 300))
    stop()
    // Three empty answers in a row, then a pause of a second: not a busy loop.
    expect(l.asked).toHaveLength(3)
  })
})
