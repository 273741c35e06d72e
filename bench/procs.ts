// The servers under test, each in its own process as `npm start` runs them:
// spawned, waited for (bounded polls), labelled for the CPU and memory
// readings, and always stopped, even when the bench fails.

import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { descendants } from './proc.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
const KEPT_OUTPUT = 200

export interface Spawned {
  readonly name: string
  readonly child: ChildProcess
  readonly startedAt: number
  /** The last lines the process printed, for the error message if it fails. */
  readonly output: string[]
  /** Resolves with the time since spawn, in ms, of the first line matching. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<number>
  /** Role label -> pid of every process to watch (the launcher's children, labelled by entry file). */
  pids(): Map<string, number>
  stop(): Promise<void>
}

const live = new Set<Spawned>()

// Last resort: no server outlives the bench (an uncaught error, Ctrl-C).
process.on('exit', () => {
  for (const s of live) s.child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130))
}

/** `count` free ports on 127.0.0.1, held together while found so that none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const server = createServer().on('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

/** The environment of a spawned server: quiet logs, loopback only, no public URLs inherited from the shell. */
export function serverEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (/_(PUBLIC|INTERNAL)_URL$/.test(name)) delete env[name]
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...vars }
}

/** Runs `node <script> <args>` from the repository root. */
export function spawnNode(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
  onLine?: (line: string) => void,
): Spawned {
  const startedAt = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  const waiters: Array<{ pattern: RegExp; resolve: (ms: number) => void }> = []
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue
      onLine?.(line)
      output.push(line)
      if (output.length > KEPT_OUTPUT) output.shift()
      for (const w of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(performance.now() - startedAt)
      }
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  const spawned: Spawned = {
    name,
    child,
    startedAt,
    output,
    waitForLine(pattern, timeoutMs) {
      const seen = output.find((line) => pattern.test(line))
      if (seen !== undefined) return Promise.resolve(performance.now() - startedAt)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms\n${output.join('\n')}`)),
          timeoutMs,
        )
        waiters.push({ pattern, resolve: (ms) => (clearTimeout(timer), resolve(ms)) })
        child.once(
          'close',
          (code) => (clearTimeout(timer), reject(new Error(`${name} exited with ${code}\n${output.join('\n')}`))),
        )
      })
    },
    pids() {
      const pids = new Map<string, number>()
      if (child.pid === undefined) return pids
      const kids = descendants(child.pid)
      if (kids.length === 0) return pids.set(name, child.pid)
      pids.set(`${name} launcher`, child.pid)
      for (const pid of kids) pids.set(roleOf(pid) ?? `${name} ${pid}`, pid)
      return pids
    },
    async stop() {
      live.delete(spawned)
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killed = await Promise.race([closed.then(() => false), sleep(5000).then(() => true)])
      if (killed) {
        child.kill('SIGKILL')
        await closed
      }
    },
  }
  live.add(spawned)
  return spawned
}

/** 'auth-server', 'resource-server' or 'client' from a lab child's command line. */
function roleOf(pid: number): string | undefined {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return /dist\/(?:bundle\/)?(auth-server|resource-server|client)(?:\/server)?\.js/.exec(cmdline)?.[1]
  } catch {
    return undefined
  }
}

/** Polls `url` until it answers 200; resolves with ms since `since`. Bounded by `timeoutMs`. */
export async function waitHealthy(url: string, since: number, timeoutMs = 15_000, everyMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.body?.cancel()
      if (response.status === 200) return performance.now() - since
    } catch {
      // Not listening yet.
    }
    await sleep(everyMs)
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()))
}

/** The bench itself and every server it started, labelled: their CPU is ours, the rest is noise. */
export function watchedProcesses(): Map<string, number> {
  const pids = new Map<string, number>([['bench', process.pid]])
  for (const s of live)
    for (const [label, pid] of s.pids()) pids.set(pids.has(label) ? `${s.name} ${label}` : label, pid)
  return pids
}
