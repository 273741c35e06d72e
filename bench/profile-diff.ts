// `node dist-bench/profile-diff.js <dir> <labelA> <labelB> <kind> [rows]`: where
// two builds spend their CPU on the same request, from the profiles that
// `PROFILE=<dir> node dist-bench/cpu-per-request.js A=... B=...` wrote. Only
// the samples inside the measured windows count (not start-up, not minting
// codes), and each function's time is divided by the requests of those
// windows: µs per request, inclusive (the function anywhere on the stack, once
// per sample) and self. Functions are matched by name and file, not line, so
// that two builds compare; largest difference first.

import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { CpuProfile } from './cpuprofile.js'
import { table } from './report.js'

interface Window {
  readonly label: string
  readonly pid: number
  readonly kind: string
  readonly startUs: number
  readonly endUs: number
  readonly requests: number
}

interface Times {
  readonly totalUs: number
  readonly inclusive: Map<string, number>
  readonly self: Map<string, number>
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const file = frame.url.replace(/^.*\//, '')
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}` : ''}`
}

/** µs per request by function, over the samples inside `windows`. */
function times(profile: CpuProfile & { startTime: number }, windows: readonly Window[]): Times {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const requests = windows.reduce((sum, w) => sum + w.requests, 0)
  const inclusive = new Map<string, number>()
  const self = new Map<string, number>()
  let totalUs = 0
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (!windows.some((w) => at >= w.startUs && at <= w.endUs)) return
    const node = byId.get(id)!
    if (node.callFrame.functionName === '(idle)') return
    // A sample stands for the interval until the next one.
    const us = (profile.timeDeltas[i + 1] ?? 0) / requests
    totalUs += us
    const leaf = frameName(node.callFrame)
    self.set(leaf, (self.get(leaf) ?? 0) + us)
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) seen.add(frameName(byId.get(n)!.callFrame))
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us)
  })
  return { totalUs, inclusive, self }
}

function load(dir: string, label: string, kind: string): Times {
  const all = JSON.parse(readFileSync(join(dir, 'windows.json'), 'utf8')) as Window[]
  const windows = all.filter((w) => w.label === label && w.kind === kind)
  const pid = windows[0]?.pid
  if (pid === undefined) throw new Error(`no measured window for ${label} ${kind} in ${dir}`)
  const file = readdirSync(join(dir, label)).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error(`no profile of pid ${pid} in ${join(dir, label)}`)
  return times(JSON.parse(readFileSync(join(dir, label, file), 'utf8')) as CpuProfile & { startTime: number }, windows)
}

function rows(a: Map<string, number>, b: Map<string, number>, count: number): string[][] {
  const names = new Set([...a.keys(), ...b.keys()])
  return [...names]
    .map((name) => [name, a.get(name) ?? 0, b.get(name) ?? 0] as const)
    .sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]))
    .slice(0, count)
    .map(([name, x, y]) => [name.slice(0, 80), x.toFixed(1), y.toFixed(1), (y - x).toFixed(1)])
}

const [dir, labelA, labelB, kind, count = '40'] = process.argv.slice(2)
if (dir === undefined || labelA === undefined || labelB === undefined || kind === undefined)
  throw new Error('usage: profile-diff.js <dir> <labelA> <labelB> <cc|ac|resource|introspect> [rows]')
const a = load(dir, labelA, kind)
const b = load(dir, labelB, kind)
const right = new Set([1, 2, 3])
const head = (what: string) => [what, `${labelA} µs`, `${labelB} µs`, 'difference']
process.stdout.write(
  `${kind}: sampled CPU per request, ${labelA} ${a.totalUs.toFixed(1)} µs, ${labelB} ${b.totalUs.toFixed(1)} µs\n\n`,
)
process.stdout.write(`${table(head('inclusive'), rows(a.inclusive, b.inclusive, Number(count)), right)}\n\n`)
process.stdout.write(`${table(head('self'), rows(a.self, b.self, Number(count)), right)}\n`)
