// What the kernel says about the processes under test: resident memory and CPU
// time, read from /proc so that measuring costs the servers nothing (no lab
// endpoint, no signal, no extra request on the hot path).

import { readFileSync, readdirSync } from 'node:fs'

/** Clock ticks per second of /proc times: 100 on every Linux build we run on (USER_HZ). */
export const CLOCK_TICKS = 100

/** VmRSS of a /proc/<pid>/status text, in kB; undefined when absent (a zombie). */
export function parseVmRssKb(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  return match ? Number(match[1]) : undefined
}

export interface ProcStat {
  readonly ppid: number
  /** utime + stime of the process (all its threads), in clock ticks. */
  readonly cpuTicks: number
}

/** Fields of /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(stat: string): ProcStat {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) }
}

export interface SystemTicks {
  /** Ticks spent running anything (user, nice, system, irq, softirq, steal), all cores summed. */
  readonly busy: number
  readonly total: number
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseSystemStat(stat: string): SystemTicks {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '))
  if (!line) throw new Error('no cpu line in /proc/stat')
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

export function rssMb(pid: number): number | undefined {
  try {
    const kb = parseVmRssKb(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return kb === undefined ? undefined : kb / 1024
  } catch {
    return undefined
  }
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

export function systemTicks(): SystemTicks {
  return parseSystemStat(readFileSync('/proc/stat', 'utf8'))
}

/** Every live descendant of `root` (children, grandchildren, ...), found through their ppid. */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = procStat(Number(name))
    if (stat) parentOf.set(Number(name), stat.ppid)
  }
  const found: number[] = []
  let frontier = [root]
  while (frontier.length > 0) {
    const next: number[] = []
    for (const [pid, ppid] of parentOf) if (frontier.includes(ppid)) next.push(pid)
    found.push(...next)
    frontier = next
  }
  return found
}

export interface CpuUse {
  readonly seconds: number
  /** Cores busy on average over the window, whoever ran. */
  readonly busyCores: number
  /** Cores used by the bench process and the servers it started. */
  readonly oursCores: number
  /** Cores used by everything else on the machine: the noise. */
  readonly otherCores: number
  /** Cores used by each watched process, by label. */
  readonly byProcess: Readonly<Record<string, number>>
}

/**
 * Starts watching: returns a function that ends the window and tells who used
 * the CPU during it. Two reads of /proc per window, so the watch itself is free.
 */
export function watchCpu(processes: ReadonlyMap<string, number>): () => CpuUse {
  const startedAt = performance.now()
  const system0 = systemTicks()
  const own0 = new Map([...processes].map(([label, pid]) => [label, procStat(pid)?.cpuTicks]))
  return () => {
    const seconds = (performance.now() - startedAt) / 1000
    const system1 = systemTicks()
    const byProcess: Record<string, number> = {}
    let ours = 0
    for (const [label, pid] of processes) {
      const before = own0.get(label)
      const after = procStat(pid)?.cpuTicks
      const ticks = before === undefined || after === undefined ? 0 : after - before
      ours += ticks
      byProcess[label] = round2(ticks / CLOCK_TICKS / seconds)
    }
    const busyCores = (system1.busy - system0.busy) / CLOCK_TICKS / seconds
    const oursCores = ours / CLOCK_TICKS / seconds
    return {
      seconds,
      busyCores: round2(busyCores),
      oursCores: round2(oursCores),
      // Tick accounting is coarse (10 ms): never below zero.
      otherCores: round2(Math.max(0, busyCores - oursCores)),
      byProcess,
    }
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100
}
