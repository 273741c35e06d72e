// One measurement: a warm-up, then a fixed window during which the rate and
// latencies are recorded and /proc says who else used the CPU. Single
// requests go through autocannon (programmatic API); a flow of many requests
// goes through a closed loop of simulated browsers, timed flow by flow.

import autocannon from 'autocannon'
import { watchCpu, type CpuUse } from './proc.js'
import { latencySummary } from './stats.js'

/** More than this many cores used by other processes during a window marks it noisy. */
export const NOISE_CORES = 0.1
const WARM_REQUESTS = 2000

export interface Measurement {
  readonly id: string
  readonly label: string
  readonly unit: 'req/s' | 'flows/s'
  readonly tool: 'autocannon' | 'flow loop'
  readonly connections: number
  /** Successful requests (2xx) or completed flows per second of the window. */
  readonly rate: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly completed: number
  /** Non-2xx answers, socket errors, timeouts, or failed flows. */
  readonly failed: number
  readonly seconds: number
  readonly cpu: CpuUse
  /**
   * CPU time the servers spent per request or flow (every watched process but
   * the bench, all threads), in µs. Unlike the rate it barely moves when other
   * processes compete for the cores, so ratios of it stay meaningful in a noisy run.
   */
  readonly serverCpuUs: number
  readonly noisy: boolean
  readonly firstError?: string
}

/** Server CPU µs per completed request or flow: every watched process but the bench itself. */
export function serverCpuPerOp(cpu: CpuUse, rate: number): number {
  const cores = Object.entries(cpu.byProcess).reduce((sum, [label, c]) => (label === 'bench' ? sum : sum + c), 0)
  return rate > 0 ? (cores * 1e6) / rate : Number.NaN
}

export interface Window {
  readonly seconds: number
  readonly warmupSeconds: number
  /** The processes whose CPU is ours (bench and servers); everything else is noise. */
  readonly watched: () => ReadonlyMap<string, number>
}

export interface RequestSpec {
  readonly id: string
  readonly label: string
  readonly url: string
  readonly method?: 'GET' | 'POST'
  readonly headers?: Record<string, string>
  readonly body?: string
  readonly connections: number
  /** A new body per request (authorization codes are single-use). */
  readonly nextBody?: () => string
  /** Headers added per request (a fresh DPoP proof each time). */
  readonly nextHeaders?: () => Record<string, string>
  /** Stop after this many requests (the number of codes prepared). */
  readonly maxRequests?: number
  /** Skip the warm-up (when each request consumes something prepared). */
  readonly noWarmup?: boolean
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error: unknown, result) =>
      error
        ? reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error }))
        : resolve(result),
    )
  })
}

export async function measureRequests(spec: RequestSpec, window: Window): Promise<Measurement> {
  const url = new URL(spec.url)
  const base: autocannon.Options = {
    url: url.origin,
    connections: spec.connections,
    pipelining: 1,
    // Each socket error or timeout is counted, never retried silently.
    timeout: 10,
    requests: [
      {
        method: spec.method ?? 'GET',
        path: url.pathname + url.search,
        headers: spec.headers,
        body: spec.body,
        ...(spec.nextBody || spec.nextHeaders
          ? {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                ...(spec.nextBody ? { body: spec.nextBody() } : {}),
                ...(spec.nextHeaders ? { headers: { ...request.headers, ...spec.nextHeaders() } } : {}),
              }),
            }
          : {}),
      },
    ],
  }
  if (!spec.noWarmup && window.warmupSeconds > 0) {
    // At least WARM_REQUESTS before the window (JIT, pools, caches), in steps of
    // the warm-up time, at most three: a slow or busy server is not measured cold.
    let warmed = 0
    for (let step = 0; step < 3 && warmed < WARM_REQUESTS; step++)
      warmed += (await run({ ...base, duration: window.warmupSeconds })).requests.total
  }
  const stop = watchCpu(window.watched())
  const result = await run({
    ...base,
    duration: window.seconds,
    ...(spec.maxRequests === undefined ? {} : { maxOverallRequests: spec.maxRequests }),
  })
  const cpu = stop()
  const ok = result['2xx']
  const failed = result.non2xx + result.errors + result.timeouts
  return {
    id: spec.id,
    label: spec.label,
    unit: 'req/s',
    tool: 'autocannon',
    connections: spec.connections,
    rate: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed: ok,
    failed,
    seconds: result.duration,
    cpu,
    serverCpuUs: serverCpuPerOp(cpu, ok / result.duration),
    noisy: cpu.otherCores > NOISE_CORES,
    ...(failed > 0
      ? { firstError: `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts` }
      : {}),
  }
}

export interface FlowSpec {
  readonly id: string
  readonly label: string
  /** Concurrent simulated browsers, each running one flow after another. */
  readonly workers: number
  readonly flow: () => Promise<void>
  /** A bound on flows started, whatever the time. */
  readonly maxFlows?: number
}

/**
 * A closed loop: `workers` browsers run flows back to back from the start of
 * the warm-up to the end of the window; only flows that complete inside the
 * window count, so the rate is the steady state, not the ramp.
 */
export async function measureFlows(spec: FlowSpec, window: Window): Promise<Measurement> {
  const t0 = performance.now()
  const windowStart = t0 + window.warmupSeconds * 1000
  const windowEnd = windowStart + window.seconds * 1000
  const maxFlows = spec.maxFlows ?? 1_000_000
  const latencies: number[] = []
  let started = 0
  let failed = 0
  let firstError: string | undefined
  let stopCpu: (() => CpuUse) | undefined
  const cpuTimer = setTimeout(() => (stopCpu = watchCpu(window.watched())), window.warmupSeconds * 1000)
  let cpu: CpuUse | undefined
  const cpuEnd = setTimeout(() => (cpu = stopCpu?.()), window.warmupSeconds * 1000 + window.seconds * 1000)

  const worker = async () => {
    while (performance.now() < windowEnd && started < maxFlows && failed < 50) {
      started++
      const begin = performance.now()
      try {
        await spec.flow()
        const end = performance.now()
        if (end >= windowStart && end <= windowEnd) latencies.push(end - begin)
      } catch (error) {
        failed++
        firstError ??= (error as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: spec.workers }, worker))
  clearTimeout(cpuTimer)
  clearTimeout(cpuEnd)
  cpu ??= stopCpu?.() ?? watchCpu(window.watched())()
  const { p50, p99 } = latencySummary(latencies)
  return {
    id: spec.id,
    label: spec.label,
    unit: 'flows/s',
    tool: 'flow loop',
    connections: spec.workers,
    rate: latencies.length / window.seconds,
    p50Ms: p50,
    p99Ms: p99,
    completed: latencies.length,
    failed,
    seconds: window.seconds,
    cpu,
    serverCpuUs: serverCpuPerOp(cpu, latencies.length / window.seconds),
    noisy: cpu.otherCores > NOISE_CORES,
    ...(firstError === undefined ? {} : { firstError }),
  }
}
