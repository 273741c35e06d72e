// Figures that are compared are measured interleaved, not one after another.
// On a shared virtual machine the speed of the cores drifts by a third within
// a minute (the same endpoint measured a minute apart differed that much), and
// /proc cannot see it: it is the host's load, not this machine's. So the
// figures of one comparison run as A B C … C B A (and again, for more
// passes), each window a fraction of the usual, and each figure is the sum
// of its windows: a drift over the group weighs on every figure alike, and
// the ratios keep their meaning.

import type { Measurement, Window } from './measure.js'
import { serverCpuPerOp } from './measure.js'
import type { CpuUse } from './proc.js'

/** One figure of a group: measured with the window it is given (half the usual, warm-up only on the first pass). */
export type Figure = (window: Window) => Promise<Measurement>

export interface InterleaveOptions {
  /** Passes over the group, alternately forward and backward (2: A B B A; 4: A B B A A B B A). */
  readonly passes?: number
  /** Warm-up of every pass after the first (flows need a moment for their simulated browsers to be mid-flow again). */
  readonly rewarmSeconds?: number
}

/**
 * Runs the figures forward, backward, forward… and merges each figure's
 * windows (window.seconds / passes each). The first pass warms up as usual;
 * later ones only for `rewarmSeconds`, everything being warm by then, so a
 * group costs little more than its figures run once.
 */
export async function interleaved(
  figures: readonly Figure[],
  window: Window,
  options: InterleaveOptions = {},
): Promise<Measurement[]> {
  const passes = options.passes ?? 2
  const seconds = window.seconds / passes
  const runs = figures.map((figure): { figure: Figure; parts: Measurement[] } => ({ figure, parts: [] }))
  for (let pass = 0; pass < passes; pass++) {
    const order = pass % 2 === 1 ? [...runs].reverse() : runs
    const passWindow =
      pass === 0 ? { ...window, seconds } : { ...window, seconds, warmupSeconds: options.rewarmSeconds ?? 0 }
    for (const run of order) run.parts.push(await run.figure(passWindow))
  }
  return runs.map(({ parts }) => parts.reduce(mergeHalves))
}

/**
 * One figure from two windows (or from a merged figure and one more window): the rate over both (all completions over all
 * seconds); p50 and p99 as the means of the halves weighted by completions
 * (percentiles do not add up exactly; the halves rarely differ much); CPU
 * averaged over time; noisy if either half was.
 */
export function mergeHalves(a: Measurement, b: Measurement): Measurement {
  if (a.id !== b.id) throw new Error(`cannot merge ${a.id} with ${b.id}`)
  const completed = a.completed + b.completed
  const seconds = a.seconds + b.seconds
  const rate = completed / seconds
  const weighted = (x: number, y: number) =>
    completed === 0 ? (x + y) / 2 : (x * a.completed + y * b.completed) / completed
  const cpu = mergeCpu(a.cpu, b.cpu)
  const firstError = a.firstError ?? b.firstError
  return {
    ...a,
    rate,
    p50Ms: weighted(a.p50Ms, b.p50Ms),
    p99Ms: weighted(a.p99Ms, b.p99Ms),
    completed,
    failed: a.failed + b.failed,
    seconds,
    cpu,
    serverCpuUs: serverCpuPerOp(cpu, rate),
    noisy: a.noisy || b.noisy,
    ...(firstError === undefined ? {} : { firstError }),
  }
}

function mergeCpu(a: CpuUse, b: CpuUse): CpuUse {
  const seconds = a.seconds + b.seconds
  const mean = (x: number, y: number) =>
    seconds === 0 ? 0 : Math.round(((x * a.seconds + y * b.seconds) / seconds) * 100) / 100
  const labels = new Set([...Object.keys(a.byProcess), ...Object.keys(b.byProcess)])
  const byProcess: Record<string, number> = {}
  for (const label of labels) byProcess[label] = mean(a.byProcess[label] ?? 0, b.byProcess[label] ?? 0)
  return {
    seconds,
    busyCores: mean(a.busyCores, b.busyCores),
    oursCores: mean(a.oursCores, b.oursCores),
    otherCores: mean(a.otherCores, b.otherCores),
    byProcess,
  }
}
