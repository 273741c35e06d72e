// How long startLab() takes to start and to close the three servers in this
// process, and how much memory each lab leaves behind: what a test suite that
// starts a lab per file pays. Measured, printed, never asserted.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node --expose-gc dist-bench/start-lab.js
//
// RUNS (default 10) labs are started and closed one after another, after one
// warm-up lab (module loading and key generation paths made hot; reported
// apart as the cold start). With --expose-gc, memory is read after a full
// collection, so the growth is what stays reachable, not garbage not yet collected.
// Memory is read twice: right after the last close, and SETTLE_MS (default
// 10 s) later. A closed lab stays reachable until its signing keys' generation
// (RSA for ID tokens, on the thread pool) has finished, which under load takes
// seconds: the first figure includes those, the second what really remains.

import { cpus, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { startLab } from 'oauth-lab'
import { median } from './stats.js'

const RUNS = Number(process.env.RUNS ?? 10)
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 10_000)

interface Sample {
  readonly startMs: number
  readonly closeMs: number
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
}

function memoryMb(): { rss: number; heapUsed: number } {
  collect()
  const { rss, heapUsed } = process.memoryUsage()
  return { rss: rss / 2 ** 20, heapUsed: heapUsed / 2 ** 20 }
}

async function oneLab(): Promise<Sample> {
  const started = performance.now()
  const lab = await startLab()
  const up = performance.now()
  // One request to each server: a lab that is up answers.
  await Promise.all(Object.values(lab.urls).map((url) => fetch(`${url}/healthz`).then((r) => r.arrayBuffer())))
  const closing = performance.now()
  await lab.close()
  return { startMs: up - started, closeMs: performance.now() - closing }
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits))

async function main(): Promise<void> {
  const beforeAll = memoryMb()
  const cold = await oneLab()
  const afterWarmUp = memoryMb()
  const samples: Sample[] = []
  for (let run = 0; run < RUNS; run++) samples.push(await oneLab())
  const afterRuns = memoryMb()
  await sleep(SETTLE_MS)
  const settled = memoryMb()

  const result = {
    node: process.version,
    // Other processes share the machine: the figures are only as quiet as this.
    cores: cpus().length,
    loadAverage1m: round(loadavg()[0] ?? Number.NaN, 2),
    runs: RUNS,
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    coldStartMs: round(cold.startMs),
    coldCloseMs: round(cold.closeMs),
    medianStartMs: round(median(samples.map((s) => s.startMs))),
    medianCloseMs: round(median(samples.map((s) => s.closeMs))),
    startMs: samples.map((s) => round(s.startMs)),
    closeMs: samples.map((s) => round(s.closeMs)),
    rssMb: {
      before: round(beforeAll.rss),
      afterWarmUp: round(afterWarmUp.rss),
      afterRuns: round(afterRuns.rss),
      settled: round(settled.rss),
    },
    rssGrowthPerLabMb: round((afterRuns.rss - afterWarmUp.rss) / RUNS, 2),
    heapUsedGrowthPerLabMb: round((afterRuns.heapUsed - afterWarmUp.heapUsed) / RUNS, 2),
    settledMs: SETTLE_MS,
    settledRssGrowthPerLabMb: round((settled.rss - afterWarmUp.rss) / RUNS, 2),
    settledHeapUsedGrowthPerLabMb: round((settled.heapUsed - afterWarmUp.heapUsed) / RUNS, 2),
  }
  process.stdout.write(
    `startLab(): median start ${result.medianStartMs} ms, median close ${result.medianCloseMs} ms over ${RUNS} runs ` +
      `(cold start ${result.coldStartMs} ms); RSS growth per lab ${result.rssGrowthPerLabMb} MB, ` +
      `heap growth per lab ${result.heapUsedGrowthPerLabMb} MB; ${SETTLE_MS} ms later: RSS ${result.settledRssGrowthPerLabMb} MB, ` +
      `heap ${result.settledHeapUsedGrowthPerLabMb} MB per lab` +
      `${result.gcExposed ? '' : ' (run with --expose-gc for stable memory figures)'}\n`,
  )
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

await main()
