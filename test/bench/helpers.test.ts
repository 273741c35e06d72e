// Smoke test of the bench's helpers (no timing): the parsers of /proc, the
// cookie jar and form reading of the simulated browser, percentiles, the
// target arithmetic and the report's tables.

import { describe, expect, it } from 'vitest'
import { owner, selfTimes, stackShares } from '../../bench/cpuprofile.js'
import { CookieJar, hiddenField } from '../../bench/http.js'
import type { Measurement } from '../../bench/measure.js'
import { parseProcStat, parseSystemStat, parseVmRssKb, procStat, rssMb, watchCpu } from '../../bench/proc.js'
import { measurementTable, table, targetTable } from '../../bench/report.js'
import { latencySummary, median, percentile, ratio } from '../../bench/stats.js'
import { compareRates, evaluateTargets, isFlat } from '../../bench/targets.js'
import { interleaved, mergeHalves } from '../../bench/interleave.js'
import { inspectorUrl } from '../../bench/heap.js'
import type { Window } from '../../bench/measure.js'

function measurement(id: string, rate: number, extra: Partial<Measurement> = {}): Measurement {
  return {
    id,
    label: id,
    unit: 'req/s',
    tool: 'autocannon',
    connections: 50,
    rate,
    p50Ms: 3,
    p99Ms: 12,
    completed: rate * 5,
    failed: 0,
    seconds: 5,
    cpu: { seconds: 5, busyCores: 2, oursCores: 2, otherCores: 0, byProcess: {} },
    serverCpuUs: 1e6 / rate,
    noisy: false,
    ...extra,
  }
}

describe('bench /proc readers', () => {
  it('parses VmRSS, a stat line whose name holds spaces and parentheses, and the cpu line', () => {
    expect(parseVmRssKb('Name:\tnode\nVmRSS:\t   51234 kB\n')).toBe(51234)
    expect(parseVmRssKb('Name:\tzombie\n')).toBeUndefined()
    const stat = '4242 (node (auth) x) S 4000 4242 4000 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 12345 0 0'
    expect(parseProcStat(stat)).toEqual({ ppid: 4000, cpuTicks: 325 })
    expect(parseSystemStat('cpu  100 5 50 800 10 1 2 3 0 0\ncpu0 1 2 3 4\n')).toEqual({ busy: 161, total: 971 })
  })

  it('reads this process from /proc and accounts a CPU window', () => {
    expect(rssMb(process.pid)).toBeGreaterThan(10)
    expect(procStat(process.pid)?.ppid).toBe(process.ppid)
    const stop = watchCpu(new Map([['test', process.pid]]))
    const use = stop()
    expect(use.otherCores).toBeGreaterThanOrEqual(0)
    expect(Object.keys(use.byProcess)).toEqual(['test'])
  })
})

describe('bench browser helpers', () => {
  it('keeps, replaces and expires cookies by name', () => {
    const jar = new CookieJar()
    expect(jar.header()).toBeUndefined()
    jar.store(['oauth_lab_as_sid=a.b; Path=/; HttpOnly; SameSite=Lax', 'other=1'])
    jar.store('oauth_lab_client_sid=c; Max-Age=28800')
    expect(jar.header()).toBe('oauth_lab_as_sid=a.b; other=1; oauth_lab_client_sid=c')
    jar.store('oauth_lab_as_sid=d; Path=/')
    jar.store('other=; Expires=Thu, 01 Jan 1970 00:00:00 GMT')
    expect(jar.get('oauth_lab_as_sid')).toBe('d')
    expect(jar.get('other')).toBeUndefined()
  })

  it('reads hidden fields whatever the attribute order, with entities decoded', () => {
    const html =
      '<form><input type="hidden" name="_csrf" value="a&amp;b"><input value="login" type="hidden" name="prompt"/></form>'
    expect(hiddenField(html, '_csrf')).toBe('a&b')
    expect(hiddenField(html, 'prompt')).toBe('login')
    expect(hiddenField(html, 'interaction')).toBeUndefined()
  })
})

describe('bench arithmetic and report', () => {
  it('computes nearest-rank percentiles and safe ratios', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(
      percentile(
        [...samples].sort((a, b) => a - b),
        50,
      ),
    ).toBe(50)
    expect(latencySummary(samples)).toEqual({ p50: 50, p99: 99 })
    expect(Number.isNaN(latencySummary([]).p50)).toBe(true)
    expect(ratio(10, 4)).toBe(2.5)
    expect(ratio(10, 0)).toBeUndefined()
    expect(ratio(undefined, 4)).toBeUndefined()
  })

  it('evaluates the targets from ratios of the same run', () => {
    const measurements = [
      measurement('ceiling.sign', 10_000),
      measurement('ceiling.verify', 10_000),
      measurement('lab.token.cc', 8_000),
      // Against its own interleaved ceiling (0.75), not the earlier one (0.60).
      measurement('ceiling.sign.ac', 8_000),
      measurement('lab.token.ac', 6_000),
      measurement('oidc.token.cc', 3_000),
      measurement('lab.resource', 9_000),
      measurement('lab.flow', 900, { unit: 'flows/s' }),
      measurement('lab.authflow', 1_300, { unit: 'flows/s' }),
      measurement('oidc.flow.remembered', 400, { unit: 'flows/s' }),
      measurement('lab.token.cc.inspector-on', 9_500),
      measurement('lab.token.cc.inspector-off', 10_000),
      // Noisy: the rate says 0.5, the CPU per request (which decides then) says 0.9.
      measurement('lab.introspect', 5_000, { noisy: true, serverCpuUs: 111 }),
    ]
    const results = evaluateTargets({ measurements, healthyMs: 700, idleRssMb: { 'auth-server': 60, client: 85 } })
    const holds = Object.fromEntries(results.map((r) => [r.target, r.holds]))
    expect(holds['token endpoint (client_credentials) ≥ 0.70 × ES256-sign ceiling']).toBe(true)
    expect(holds['token endpoint (authorization_code) ≥ 0.70 × ES256-sign ceiling']).toBe(true)
    expect(holds['token endpoint (client_credentials) ≥ 2 × oidc-provider']).toBe(true)
    expect(holds['resource endpoint ≥ 0.80 × ES256-verify ceiling']).toBe(true)
    expect(holds['full flow ≥ 3 × oidc-provider flow (remembered consent)']).toBe(false)
    expect(holds["AS flow, like for like (the anchor's steps) ≥ 3 × oidc-provider"]).toBe(true)
    expect(holds['three servers healthy ≤ 1 s after npm start (median of 3 starts)']).toBe(true)
    expect(holds['each process ≤ 80 MB RSS when idle']).toBe(false)
    expect(holds['flow inspector costs ≤ 10% of the token endpoint rate']).toBe(true)
    const noisy = compareRates(measurements, 'lab.introspect', 'ceiling.verify')
    expect(noisy.rate).toBe(0.5)
    expect(noisy.cpu).toBeCloseTo(0.9, 2)
    expect(noisy.noisy).toBe(true)
    expect(isFlat(100, 108)).toBe(true)
    expect(isFlat(40, 47)).toBe(true)
    expect(isFlat(100, 140)).toBe(false)
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(Number.isNaN(median([]))).toBe(true)
  })

  it('prints aligned Markdown tables with each ratio to its ceiling and anchor', () => {
    expect(
      table(
        ['a', 'b'],
        [
          ['x', '1'],
          ['yy', '22'],
        ],
        new Set([1]),
      ),
    ).toBe('| a  |  b |\n|----|---:|\n| x  |  1 |\n| yy | 22 |')
    const text = measurementTable([
      measurement('ceiling.sign', 10_000),
      measurement('oidc.token.cc', 2_000),
      measurement('lab.token.cc', 8_000, { noisy: true }),
    ])
    const row = text.split('\n').find((line) => line.startsWith('| lab.token.cc'))!
    expect(row).toContain('8,000 req/s')
    expect(row).toContain('0.80×')
    expect(row).toContain('4.00×')
    expect(row).toContain('noisy')
    expect(targetTable([{ target: 't', value: 'v', holds: false }])).toContain('| NO    |')
  })
})

describe('bench profile and GC readers', () => {
  it('attributes samples to functions and owners, self and on the stack', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 })
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        { id: 2, callFrame: frame('helmet', 'file:///x/node_modules/helmet/index.cjs'), children: [3] },
        { id: 3, callFrame: frame('setHeader', 'node:_http_outgoing') },
        { id: 4, callFrame: frame('add', 'file:///work/main/dist/shared/flow-recorder.js') },
      ],
      samples: [3, 3, 4, 4],
      timeDeltas: [1, 1, 1, 1],
    }
    expect(owner('file:///x/node_modules/@fastify/session/index.js')).toBe('@fastify/session')
    expect(owner('node:internal/crypto/util')).toBe('node:internal')
    expect(owner('')).toBe('(v8 / native)')
    const { byOwner } = selfTimes(profile)
    expect(Object.fromEntries(byOwner)).toEqual({
      'node:_http_outgoing': 0.5,
      'oauth-lab shared/flow-recorder.js': 0.5,
    })
    expect(Object.fromEntries(stackShares(profile)).helmet).toBe(0.5)
  })

  it('reads the heap after a full collection from a --trace-gc line', () => {
    expect(inspectorUrl('Debugger listening on ws://127.0.0.1:40123/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab')).toBe(
      'ws://127.0.0.1:40123/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab',
    )
    expect(inspectorUrl('For help, see: https://nodejs.org/en/docs/inspector')).toBeUndefined()
  })
})

describe('interleaved figures', () => {
  it("runs A B … B A with half windows, warm-up only on the first pass, and merges each figure's halves", async () => {
    const calls: string[] = []
    const figure = (id: string, rates: number[]) => async (w: Window) => {
      calls.push(`${id}:${w.seconds}:${w.warmupSeconds}`)
      const rate = rates.shift()!
      return measurement(id, rate, {
        seconds: w.seconds,
        completed: rate * w.seconds,
        p50Ms: rate / 1000,
        p99Ms: rate / 100,
      })
    }
    const window: Window = { seconds: 5, warmupSeconds: 1, watched: () => new Map() }
    const [a, b] = await interleaved([figure('a', [1000, 3000]), figure('b', [2000, 2000])], window, {
      rewarmSeconds: 0.5,
    })
    if (!a || !b) throw new Error('expected one measurement per figure')
    expect(calls).toEqual(['a:2.5:1', 'b:2.5:1', 'b:2.5:0.5', 'a:2.5:0.5'])
    // All completions over all seconds: (2,500 + 7,500) / 5.
    expect(a.rate).toBe(2000)
    expect(a.seconds).toBe(5)
    expect(a.completed).toBe(10_000)
    // Percentiles weighted by completions: (1 × 2,500 + 3 × 7,500) / 10,000.
    expect(a.p50Ms).toBeCloseTo(2.5, 6)
    expect(b.rate).toBe(2000)
  })

  it('alternates direction over more passes: A B B A A B B A', async () => {
    const calls: string[] = []
    const figure = (id: string) => async (w: Window) => {
      calls.push(id)
      return measurement(id, 1000, { seconds: w.seconds, completed: 1000 * w.seconds })
    }
    const [a] = await interleaved(
      [figure('a'), figure('b')],
      { seconds: 4, warmupSeconds: 1, watched: () => new Map() },
      { passes: 4 },
    )
    if (!a) throw new Error('expected one measurement per figure')
    expect(calls.join('')).toBe('abbaabba')
    expect(a.seconds).toBe(4)
    expect(a.rate).toBe(1000)
  })

  it('merges CPU over time, keeps noise and failures, and refuses two different figures', () => {
    const cpu = (other: number, server: number) => ({
      seconds: 2,
      busyCores: 1.5,
      oursCores: 1.5 - other,
      otherCores: other,
      byProcess: { bench: 0.3, 'auth-server': server },
    })
    const merged = mergeHalves(
      measurement('x', 1000, { seconds: 2, completed: 2000, cpu: cpu(0, 1), failed: 1, firstError: '1 non-2xx' }),
      measurement('x', 3000, { seconds: 2, completed: 6000, cpu: cpu(0.4, 0.8), noisy: true }),
    )
    expect(merged.rate).toBe(2000)
    expect(merged.cpu.byProcess['auth-server']).toBe(0.9)
    expect(merged.cpu.otherCores).toBe(0.2)
    // Server CPU per operation from the merged figures: 0.9 cores at 2,000/s.
    expect(merged.serverCpuUs).toBeCloseTo(450, 6)
    expect(merged.noisy).toBe(true)
    expect(merged.failed).toBe(1)
    expect(merged.firstError).toBe('1 non-2xx')
    expect(() => mergeHalves(measurement('x', 1), measurement('y', 1))).toThrow(/cannot merge/)
  })
})
