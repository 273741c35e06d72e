// Memory after many flows: a fresh authorization server runs 100,000 flows
// (sign-in, code, token) as fast as it can, and its resident memory is read
// from /proc every few thousand flows. Codes, sessions, refresh tokens and
// token families are given short lifetimes, so that within the run each
// expires and must be purged: if purging works the curve goes flat; if
// anything leaks it keeps climbing.

import type { Agent } from 'undici'
import { labAuthFlow, labUrls, rememberConsent } from './flows.js'
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
  /** [flows done, RSS MB, live heap MB after the latest full GC]; the last point is after the run, idle. */
  readonly points: ReadonlyArray<readonly [number, number, number]>
  readonly startMb: number
  /**
   * Median RSS of the samples in the first and in the second half of the run:
   * flat means close. Medians, not peaks: the live set rises and falls with
   * the rate (a drifting machine) and with when a collection happens to run.
   */
  readonly firstHalfMedianMb: number
  readonly secondHalfMedianMb: number
  readonly endMb: number
  /** The same for the live heap after full collections (NaN before the first one), and its peak. */
  readonly firstHalfMedianHeapMb: number
  readonly secondHalfMedianHeapMb: number
  readonly peakHeapMb: number
  readonly firstError?: string
}

export async function memoryCurve(agent: Agent, opts: { flows: number; sampleEvery: number; workers: number; maxSeconds: number }): Promise<MemoryCurve> {
  const [port] = await freePorts(1)
  const lab = labUrls({ auth: port!, resource: 9002, client: 3000 })
  const ttl = String(MEMORY_TTL_SECONDS)
  // --trace-gc prints the heap after each full collection: what is really
  // kept alive, which RSS (V8 keeps freed pages a while) only bounds from above.
  let liveHeapMb = Number.NaN
  const server = spawnNode(
    'auth-server (memory)',
    'dist/bundle/auth-server.js',
    serverEnv({ AUTH_PORT: String(port), CODE_TTL_SECONDS: ttl, ACCESS_TOKEN_TTL_SECONDS: ttl, REFRESH_TOKEN_TTL_SECONDS: ttl, SESSION_TTL_SECONDS: ttl }),
    ['--trace-gc'],
    (line) => {
      const after = parseFullGc(line)
      if (after !== undefined) liveHeapMb = after
    },
  )
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, server.startedAt)
    const pid = server.child.pid!
    await rememberConsent(agent, lab)
    const points: Array<[number, number, number]> = [[0, rssMb(pid) ?? Number.NaN, liveHeapMb]]
    const stopCpu = watchCpu(new Map([['auth-server', pid], ['bench', process.pid]]))
    const t0 = performance.now()
    const deadline = t0 + opts.maxSeconds * 1000
    let started = 0
    let done = 0
    let failed = 0
    let firstError: string | undefined
    let nextSample = opts.sampleEvery
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
        if (done >= nextSample) {
          nextSample += opts.sampleEvery
          points.push([done, rssMb(pid) ?? Number.NaN, liveHeapMb])
        }
      }
    }
    await Promise.all(Array.from({ length: opts.workers }, worker))
    const seconds = (performance.now() - t0) / 1000
    const cpu = stopCpu()
    // A second idle, then the last reading: what the server keeps at rest.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const endMb = rssMb(pid) ?? Number.NaN
    points.push([done, endMb, liveHeapMb])
    const during = points.slice(1, -1).map(([, mb]) => mb)
    const heap = points.slice(1, -1).map(([, , mb]) => mb).filter(Number.isFinite)
    return {
      flows: done,
      failed,
      seconds,
      flowsPerSecond: done / seconds,
      serverCpuUsPerFlow: ((cpu.byProcess['auth-server'] ?? 0) * seconds * 1e6) / Math.max(1, done),
      otherCores: cpu.otherCores,
      ttlSeconds: MEMORY_TTL_SECONDS,
      points,
      startMb: points[0]![1],
      firstHalfMedianMb: median(during.slice(0, Math.ceil(during.length / 2))),
      secondHalfMedianMb: median(during.slice(Math.ceil(during.length / 2))),
      endMb,
      firstHalfMedianHeapMb: median(heap.slice(0, Math.ceil(heap.length / 2))),
      secondHalfMedianHeapMb: median(heap.slice(Math.ceil(heap.length / 2))),
      peakHeapMb: heap.length === 0 ? Number.NaN : Math.max(...heap),
      ...(firstError === undefined ? {} : { firstError }),
    }
  } finally {
    await server.stop()
  }
}

/** The heap size after a full collection from a --trace-gc line ("Mark-Compact 120.1 (130.2) -> 80.3 (131.0) MB"), in MB. */
export function parseFullGc(line: string): number | undefined {
  const match = /Mark-(?:Compact|sweep)[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line)
  return match ? Number(match[1]) : undefined
}
