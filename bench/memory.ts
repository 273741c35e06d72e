// Memory after many flows: a fresh authorization server runs 100,000 flows
// (sign-in, code, token) as fast as it can, and every few thousand flows its
// resident memory is read from /proc and its live heap after a forced full
// collection through the inspector (heap.ts). Codes, sessions, refresh tokens and
// token families are given short lifetimes, so that within the run each
// expires and must be purged: if purging works the curve goes flat; if
// anything leaks it keeps climbing.

import type { Agent } from 'undici'
import { labAuthFlow, labUrls, rememberConsent } from './flows.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectHeapProbe, inspectorUrl, type HeapProbe } from './heap.js'
import { rssMb, watchCpu } from './proc.js'
import { median } from './stats.js'
import { freePorts, serverEnv, spawnNode, waitHealthy } from './procs.js'

export const MEMORY_TTL_SECONDS = 5

export interface MemoryCurve {
  readonly flows: number
  readonly failed: number
  readonly seconds: number
  readonly flowsPerSecond: number
  /** The authorization server's CPU per flow, in µs (the rate's bound: one core / this). */
  readonly serverCpuUsPerFlow: number
  /** Cores used by other processes during the run: above 0.1 the rate is not this machine's. */
  readonly otherCores: number
  readonly ttlSeconds: number
  /**
   * [flows done, RSS MB, live heap MB after a forced full collection]; the
   * first point is before any flow, the last after the run, once every
   * lifetime has passed and a request has let the store purge.
   */
  readonly points: ReadonlyArray<readonly [number, number, number]>
  readonly startMb: number
  readonly endMb: number
  /** Live heap before the first flow and after the run and its purge: equal means nothing was kept. */
  readonly startHeapMb: number
  readonly endHeapMb: number
  /** Median live heap of the samples in each half of the run (the live set follows the rate), and its peak. */
  readonly firstHalfMedianHeapMb: number
  readonly secondHalfMedianHeapMb: number
  readonly peakHeapMb: number
  readonly firstError?: string
}

export async function memoryCurve(
  agent: Agent,
  opts: { flows: number; sampleEvery: number; workers: number; maxSeconds: number },
): Promise<MemoryCurve> {
  const [port] = await freePorts(1)
  if (port === undefined) throw new Error('no free port for the memory run')
  const lab = labUrls({ auth: port, resource: 9002, client: 3000 })
  const ttl = String(MEMORY_TTL_SECONDS)
  let inspector: string | undefined
  const server = spawnNode(
    'auth-server (memory)',
    'dist/bundle/auth-server.js',
    serverEnv({
      AUTH_PORT: String(port),
      CODE_TTL_SECONDS: ttl,
      ACCESS_TOKEN_TTL_SECONDS: ttl,
      REFRESH_TOKEN_TTL_SECONDS: ttl,
      SESSION_TTL_SECONDS: ttl,
    }),
    // The inspector on a free loopback port: heap.ts forces collections through it.
    ['--inspect=127.0.0.1:0'],
    (line) => (inspector ??= inspectorUrl(line)),
  )
  let probe: HeapProbe | undefined
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, server.startedAt)
    if (inspector === undefined) throw new Error("the memory run's server printed no inspector URL")
    probe = await connectHeapProbe(inspector)
    const heap = probe
    const pid = server.child.pid!
    await rememberConsent(agent, lab)
    const start: [number, number, number] = [0, rssMb(pid) ?? Number.NaN, await heap.liveHeapMb()]
    const points: Array<[number, number, number]> = [start]
    const stopCpu = watchCpu(
      new Map([
        ['auth-server', pid],
        ['bench', process.pid],
      ]),
    )
    const t0 = performance.now()
    const deadline = t0 + opts.maxSeconds * 1000
    let started = 0
    let done = 0
    let failed = 0
    let firstError: string | undefined
    let running = true
    const worker = async () => {
      while (started < opts.flows && performance.now() < deadline && failed < 50) {
        started++
        try {
          await labAuthFlow(agent, lab)
          done++
        } catch (error) {
          failed++
          firstError ??= (error as Error).message
        }
      }
    }
    // One sampler beside the workers: a forced collection pauses the server a few ms.
    const sampler = async () => {
      let nextSample = opts.sampleEvery
      while (running) {
        if (done >= nextSample) {
          nextSample += opts.sampleEvery
          points.push([done, rssMb(pid) ?? Number.NaN, await heap.liveHeapMb()])
        }
        await sleep(20)
      }
    }
    const sampling = sampler()
    await Promise.all(Array.from({ length: opts.workers }, worker))
    running = false
    await sampling
    const seconds = (performance.now() - t0) / 1000
    const cpu = stopCpu()
    // Every lifetime over (plus the sweep interval), then one flow so that the
    // store and the sessions sweep: what the server keeps after that, it leaked.
    await sleep((MEMORY_TTL_SECONDS + 1.5) * 1000)
    await labAuthFlow(agent, lab)
    const endMb = rssMb(pid) ?? Number.NaN
    const end: [number, number, number] = [done, endMb, await heap.liveHeapMb()]
    points.push(end)
    const during = points.slice(1, -1).map(([, , mb]) => mb)
    const half = Math.ceil(during.length / 2)
    return {
      flows: done,
      failed,
      seconds,
      flowsPerSecond: done / seconds,
      serverCpuUsPerFlow: ((cpu.byProcess['auth-server'] ?? 0) * seconds * 1e6) / Math.max(1, done),
      otherCores: cpu.otherCores,
      ttlSeconds: MEMORY_TTL_SECONDS,
      points,
      startMb: start[1],
      endMb,
      startHeapMb: start[2],
      endHeapMb: end[2],
      firstHalfMedianHeapMb: median(during.slice(0, half)),
      secondHalfMedianHeapMb: median(during.slice(half)),
      peakHeapMb: during.length === 0 ? Number.NaN : Math.max(...during),
      ...(firstError === undefined ? {} : { firstError }),
    }
  } finally {
    probe?.close()
    await server.stop()
  }
}
