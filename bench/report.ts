// The printed report: one table of every figure with its ratios, then the
// targets, start-up and memory. Plain text that pastes into Markdown as is.

import type { MemoryCurve } from './memory.js'
import type { Measurement } from './measure.js'
import { COMPARE, rateOf, type TargetResult } from './targets.js'
import { ratio } from './stats.js'
import type { WorkshopResult } from './workshop.js'

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '—'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function times(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}×`
}

/** A Markdown table: a header row, a rule, and rows; columns padded so it also reads as plain text. */
export function table(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  rightAligned: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (rightAligned.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

export function measurementTable(measurements: readonly Measurement[]): string {
  const rows = measurements.map((m) => {
    const compare = COMPARE[m.id] ?? {}
    const of = (id: string | undefined) => (id === undefined ? undefined : ratio(m.rate, rateOf(measurements, id)))
    return [
      m.label,
      String(m.connections),
      `${num(m.rate)} ${m.unit}`,
      num(m.p50Ms, m.p50Ms < 10 ? 1 : 0),
      num(m.p99Ms, m.p99Ms < 10 ? 1 : 0),
      times(of(compare.ceiling)),
      times(of(compare.anchor)),
      times(of(compare.mock)),
      num(m.serverCpuUs),
      num(m.cpu.otherCores, 2),
      [m.noisy ? 'noisy' : '', m.failed > 0 ? `${m.failed} failed` : ''].filter(Boolean).join(', '),
    ]
  })
  return table(
    [
      'measurement',
      'conns',
      'rate',
      'p50 ms',
      'p99 ms',
      '÷ ceiling',
      '÷ oidc-provider',
      '÷ mock-server',
      'server CPU µs',
      'other CPU',
      'flags',
    ],
    rows,
    new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  )
}

export function scaleTable(
  measurements: readonly Measurement[],
  ids: readonly string[],
  levels: readonly number[],
): string {
  const rows = ids.map((id) => {
    const first = measurements.find((m) => m.id === id)
    const cells = levels.flatMap((c) => {
      const m =
        measurements.find((x) => x.id === id && x.connections === c) ?? measurements.find((x) => x.id === `${id}@${c}`)
      return m ? [`${num(m.rate)}${m.noisy ? '*' : ''}`, num(m.p99Ms, m.p99Ms < 10 ? 1 : 0)] : ['—', '—']
    })
    return [first?.label ?? id, ...cells]
  })
  const header = ['endpoint', ...levels.flatMap((c) => [`rate @${c}`, `p99 ms @${c}`])]
  return table(header, rows, new Set(header.map((_, i) => i).slice(1)))
}

export function targetTable(targets: readonly TargetResult[]): string {
  return table(
    ['target', 'measured', 'holds'],
    targets.map((t) => [t.target, t.value, t.holds === undefined ? 'n/a' : t.holds ? 'yes' : 'NO']),
  )
}

export function memoryTable(curve: MemoryCurve): string {
  const max = Math.max(...curve.points.map(([, rss]) => rss))
  const bar = (mb: number) => (Number.isFinite(mb) ? '#'.repeat(Math.max(1, Math.round((mb / max) * 40))) : '')
  const rows = curve.points.map(([flows, rss, heap], i) => [
    i === curve.points.length - 1 ? `${num(flows)} (after their lifetimes)` : num(flows),
    num(rss, 1),
    num(heap, 1),
    bar(rss),
  ])
  return table(['flows', 'RSS MB', 'live heap MB', 'RSS'], rows, new Set([0, 1, 2]))
}

/** The workshop scenario: each step's time and how long until the learner's inspector showed it. */
export function workshopTable(result: WorkshopResult): string {
  const digits = (ms: number) => num(ms, ms < 10 ? 1 : 0)
  const rows = result.steps.map((s) => [
    s.label,
    String(s.samples),
    digits(s.p50Ms),
    digits(s.p95Ms),
    digits(s.inspectorP50Ms),
    digits(s.inspectorP95Ms),
    String(s.missed),
  ])
  return table(
    ['request', 'samples', 'p50 ms', 'p95 ms', 'inspector p50 ms', 'inspector p95 ms', 'not shown'],
    rows,
    new Set([1, 2, 3, 4, 5, 6]),
  )
}
