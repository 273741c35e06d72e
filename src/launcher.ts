// The launcher behind `npm start` and `oauth-lab`: runs the three roles as
// child processes, merges their logs into one terminal behind a role tag, says
// once where each one is reachable, and never leaves a child running behind it.

import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { LabConfig } from './shared/config.js'
import { ROLES, type RoleInfo } from './shared/roles.js'
import { exposureWarning } from './shared/exposure.js'
import { pinFreePorts } from './shared/free-ports.js'
import { workshopBanner } from './workshop-banner.js'

export interface LaunchOptions {
  /**
   * What follows `node` to start a role: by default its one-file bundle. The
   * single file starts itself with the role's command (`oauth-lab.mjs auth`).
   */
  readonly roleArgs?: (role: RoleInfo) => readonly string[]
}

interface Role {
  readonly name: string
  readonly tag: string
  readonly args: readonly string[]
  /** Where the launcher asks `/healthz`: the child's own bind address, whatever the public and internal URLs say. */
  readonly healthUrl: string
  readonly publicUrl: string
}

interface Child {
  readonly role: Role
  readonly process: ChildProcess
  /** Settles on 'close', after the child's output has been read to the end. */
  readonly closed: Promise<void>
}

// Asked often, since "up" is when the last role answers; a refused connection costs next to nothing.
const HEALTH_INTERVAL_MS = 20
const HEALTH_ATTEMPTS = 500
const KILL_AFTER_MS = 5000
const PARENT_POLL_MS = 500
const PINO_LEVELS: Readonly<Record<string, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}

/**
 * Each role runs from its one-file bundle (scripts/bundle-roles.mjs, part of
 * `npm run build`): it loads in about half the time of the per-file build.
 */
function roles(config: LabConfig, options: LaunchOptions): Role[] {
  return ROLES.map((role) => ({
    name: role.name,
    tag: role.command,
    args: options.roleArgs?.(role) ?? [fileURLToPath(new URL(`./${role.bundle}`, import.meta.url))],
    healthUrl: bindUrl(config.host, config[role.section].port),
    publicUrl: config[role.section].publicUrl,
  }))
}

/** A wildcard bind is reachable on loopback. */
function bindUrl(host: string, port: number): string {
  const address = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`
}

type Entry = Record<string, unknown>

function parseEntry(line: string): Entry | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return value !== null && typeof value === 'object' ? (value as Entry) : undefined
  } catch {
    return undefined
  }
}

function field(object: unknown, key: string): string | undefined {
  if (object === null || typeof object !== 'object') return undefined
  const value = (object as Entry)[key]
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

/** A pino line as `<level> <msg>` plus what a request log carries; any other line as is. */
function readable(line: string): string {
  const entry = parseEntry(line)
  if (entry === undefined || typeof entry.msg !== 'string') return line
  const level = field(entry, 'level') ?? ''
  const ms = typeof entry.responseTime === 'number' ? `${entry.responseTime.toFixed(1)} ms` : undefined
  const parts = [
    PINO_LEVELS[level] ?? level,
    entry.msg,
    field(entry.req, 'method'),
    field(entry.req, 'url'),
    field(entry.res, 'statusCode'),
    ms,
    field(entry.err, 'message'),
  ]
  return parts.filter((part) => part !== undefined && part !== '').join(' ')
}

function pipeLines(from: Readable, to: Writable, tag: string): void {
  const prefix = `[${tag.padEnd(8)}] `
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${prefix}${readable(line)}\n`))
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

// Children inherit the environment (only config.ts reads it) plus the one lab
// key, so that all three share it. They get the launcher's flags (`--config`,
// `--port-*`) so they load the same config.
//
// Each child also gets an IPC channel, only so that it notices when the
// launcher is gone, however it went (kill -9, a parent that dies without
// passing a signal on, a crash): the kernel closes the launcher's end of the
// socket pair and the child's `process` emits 'disconnect' (see run.ts). A
// pipe on stdin would tell the same, but a role started alone with stdin at
// /dev/null (docker, nohup) would read its end at once and stop; the channel
// exists only when a parent made it, so a role started alone is unaffected.
function startChild(
  role: Role,
  argv: readonly string[],
  labKey: string,
  onUnexpectedExit: (message: string) => void,
): Child {
  const child = spawn(process.execPath, [...role.args, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, LAB_KEY: labKey },
  })
  // Both are pipes (stdio above); the types cannot tell once 'ipc' is in the list.
  if (child.stdout !== null) pipeLines(child.stdout, process.stdout, role.tag)
  if (child.stderr !== null) pipeLines(child.stderr, process.stderr, role.tag)
  child.on('error', (error) => onUnexpectedExit(`oauth-lab: ${role.name} could not start: ${error.message}`))
  const closed = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      resolve()
      onUnexpectedExit(
        `oauth-lab: ${role.name} exited unexpectedly with ${code === null ? `signal ${signal}` : `exit code ${code}`}`,
      )
    })
  })
  return { role, process: child, closed }
}

/**
 * `npm start` and `npx oauth-lab` run the launcher through `sh -c`; a SIGTERM
 * to npm reaches that shell, which dies without passing it on, and the
 * launcher would live on, reparented, with its three roles. Under npm (which
 * sets npm_lifecycle_event) the launcher therefore stops once its parent has
 * changed. Not otherwise: `nohup oauth-lab &` is meant to outlive its shell.
 */
function stopWhenOrphaned(stop: () => void): void {
  if (process.env.npm_lifecycle_event === undefined) return
  const parent = process.ppid
  setInterval(() => {
    if (process.ppid !== parent) stop()
  }, PARENT_POLL_MS).unref()
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
    await response.body?.cancel()
    return response.status === 200
  } catch {
    return false
  }
}

/**
 * Starts the three roles with `childArgv` as their flags and resolves once all
 * answer /healthz. It owns the process from then on: a signal or a failed
 * child stops every child and exits.
 */
export async function launch(
  given: LabConfig,
  givenArgv: readonly string[],
  options: LaunchOptions = {},
): Promise<void> {
  // Port 0: a free port for the role, chosen here so that every role and the
  // banner know the real URLs.
  const { config, argv: childArgv } = await pinFreePorts(given, givenArgv, ROLES)
  const children: Child[] = []
  let stopping = false

  /** SIGTERM to every child, SIGKILL to those still there after 5 s, then exit. */
  async function stopAll(exitCode: number): Promise<void> {
    if (stopping) return
    stopping = true
    const live = children.filter((child) => isRunning(child.process))
    for (const child of live) child.process.kill('SIGTERM')
    const force = setTimeout(() => {
      for (const child of live.filter((c) => isRunning(c.process))) {
        process.stderr.write(
          `oauth-lab: ${child.role.name} did not stop within ${KILL_AFTER_MS / 1000} s; killing it\n`,
        )
        child.process.kill('SIGKILL')
      }
    }, KILL_AFTER_MS)
    await Promise.all(children.map((child) => child.closed))
    clearTimeout(force)
    process.exit(exitCode)
  }

  function failed(message: string): void {
    if (stopping) return
    process.stderr.write(`${message}; stopping the others\n`)
    void stopAll(1)
  }

  async function waitReady(role: Role): Promise<boolean> {
    for (let attempt = 0; attempt < HEALTH_ATTEMPTS && !stopping; attempt++) {
      if (await healthy(`${role.healthUrl}/healthz`)) {
        if (!stopping) process.stdout.write(`oauth-lab ${role.name.padEnd(15)} ready at ${role.publicUrl}\n`)
        return true
      }
      await sleep(HEALTH_INTERVAL_MS)
    }
    if (!stopping)
      failed(
        `oauth-lab: ${role.name} did not answer GET ${role.healthUrl}/healthz within ${(HEALTH_ATTEMPTS * HEALTH_INTERVAL_MS) / 1000} s`,
      )
    return false
  }

  process.on('SIGINT', () => void stopAll(0))
  process.on('SIGTERM', () => void stopAll(0))
  stopWhenOrphaned(() => void stopAll(0))
  // Last resort (an uncaught error, a stray process.exit): no child outlives the launcher.
  process.on('exit', () => {
    for (const child of children) if (isRunning(child.process)) child.process.kill('SIGKILL')
  })

  const lab = roles(config, options)
  for (const role of lab) children.push(startChild(role, childArgv, config.labKey, failed))
  const ready = await Promise.all(lab.map(waitReady))
  if (!stopping && ready.every(Boolean)) {
    // performance.now() counts from the launcher's own start, Node's boot included.
    process.stdout.write(`oauth-lab is up in ${Math.round(performance.now())} ms: open ${config.client.publicUrl}\n`)
    // Printed once: whoever holds this link holds the lab's powers (see the README's "Security model").
    process.stdout.write(`oauth-lab lab key: ${config.client.publicUrl}/flow?lab_key=${config.labKey}\n`)
    process.stdout.write(await workshopBanner(config))
    const warning = exposureWarning(config)
    if (warning !== undefined) process.stdout.write(`${warning}\n`)
  }
}
