// The launcher's small truths, as a user meets them: the compiled dist/cli.js
// as a real process on 127.0.0.1. Port 0 gives real URLs everywhere; no role
// process outlives the launcher, however the launcher goes. Every wait is a
// bounded poll.

import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { canConnect } from './helpers/free-port.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const POLL_MS = 50
const ALL_PORTS_ZERO = ['--port-auth', '0', '--port-resource', '0', '--port-client', '0']

interface Run {
  readonly child: ChildProcess
  stdout: string
  stderr: string
  closed: boolean
}

const runs = new Set<Run>()
/** Every process a test saw, so that a failed test leaves none behind. */
const seenPids = new Set<number>()

/** No variable of the caller's may move the lab off the test's ports, host or config. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(AUTH|RESOURCE|CLIENT)_|^OAUTH_LAB_CONFIG$|^HOST$|^LOG_LEVEL$|^LAB_KEY|^npm_/.test(name)) delete env[name]
  }
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra }
}

function start(command: string, args: readonly string[], extra: Record<string, string> = {}): Run {
  const child = spawn(command, args, { cwd: ROOT, env: cleanEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] })
  const run: Run = { child, stdout: '', stderr: '', closed: false }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
  child.on('close', () => (run.closed = true))
  if (child.pid !== undefined) seenPids.add(child.pid)
  runs.add(run)
  return run
}

const cli = (args: readonly string[], extra: Record<string, string> = {}) =>
  start(process.execPath, ['dist/cli.js', ...args], extra)

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 400): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

/** Whether `pid` is a live process: a zombie waiting for its reaper counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** The pids of the processes whose parent is `pid`, read from /proc. */
function childPids(pid: number): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry))
    } catch {
      // The process ended while being read.
    }
  }
  for (const child of pids) seenPids.add(child)
  return pids
}

/** The three ports of the banner's `ready at` lines. */
function bannerPorts(stdout: string): Record<string, number> {
  const ports: Record<string, number> = {}
  for (const match of stdout.matchAll(/^oauth-lab (\S+) +ready at http:\/\/localhost:(\d+)$/gm)) {
    ports[match[1] ?? ''] = Number(match[2])
  }
  return ports
}

async function upWithPorts(run: Run): Promise<{ auth: number; resource: number; client: number }> {
  await until('the "is up" line', () => /oauth-lab is up in \d+ ms/.test(run.stdout) || run.closed)
  expect(run.stderr).toBe('')
  const ports = bannerPorts(run.stdout)
  const auth = ports['auth-server'] ?? 0
  const resource = ports['resource-server'] ?? 0
  const client = ports.client ?? 0
  return { auth, resource, client }
}

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

afterAll(async () => {
  for (const run of runs) if (!run.closed) run.child.kill('SIGKILL')
  for (const pid of seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  await until('every process to end', () => [...seenPids].every((pid) => !alive(pid)), 100).catch(() => undefined)
})

describe('oauth-lab with every port 0', () => {
  it('picks real ports before the URLs are derived: banner, issuer, iss and aud are real, the flow works', async () => {
    const run = cli(ALL_PORTS_ZERO)
    const { auth, resource, client } = await upWithPorts(run)
    for (const port of [auth, resource, client]) expect(port).toBeGreaterThan(0)
    expect(new Set([auth, resource, client]).size).toBe(3)
    expect(run.stdout).toMatch(new RegExp(`^oauth-lab is up in \\d+ ms: open http://localhost:${client}$`, 'm'))
    expect(run.stdout).toMatch(new RegExp(`^oauth-lab lab key: http://localhost:${client}/flow\\?lab_key=`, 'm'))

    const metadata = (await (
      await fetch(`http://127.0.0.1:${auth}/.well-known/oauth-authorization-server`)
    ).json()) as { issuer: string; token_endpoint: string }
    expect(metadata.issuer).toBe(`http://localhost:${auth}`)
    expect(metadata.token_endpoint).toBe(`http://localhost:${auth}/token`)

    const basic = `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`
    const tokenResponse = await fetch(`http://127.0.0.1:${auth}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=foo',
    })
    expect(tokenResponse.status).toBe(200)
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
    expect(payloadOf(token)).toMatchObject({ iss: metadata.issuer, aud: `http://localhost:${resource}` })

    // The resource server (another process) was told the real issuer too.
    const resourceResponse = await fetch(`http://127.0.0.1:${resource}/resource`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(resourceResponse.status).toBe(200)
    expect(await resourceResponse.json()).toMatchObject({ resource: 'foo', client_id: 'oauth-client-1' })

    run.child.kill('SIGTERM')
    await until('the launcher to exit', () => run.closed)
    expect(run.child.exitCode).toBe(0)
    for (const port of [auth, resource, client]) expect(await canConnect(port)).toBe(false)
  }, 60_000)

  it('AUTH_PORT=0 for one role started alone: it listens on a real port and its issuer names it', async () => {
    const run = cli(['auth'], { AUTH_PORT: '0', LOG_LEVEL: 'info' })
    await until(
      'the "ready at" log line',
      () => /auth-server ready at http:\/\/localhost:\d+/.test(run.stdout) || run.closed,
    )
    const port = Number(/auth-server ready at http:\/\/localhost:(\d+)/.exec(run.stdout)?.[1])
    expect(port).toBeGreaterThan(0)
    const metadata = (await (
      await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)
    ).json()) as { issuer: string }
    expect(metadata.issuer).toBe(`http://localhost:${port}`)
    run.child.kill('SIGTERM')
    await until('the role to exit', () => run.closed)
    expect(run.child.exitCode).toBe(0)
  }, 60_000)
})

describe('oauth-lab --workshop', () => {
  it('prints the join URL, its QR code and the teacher URL once the lab is up', async () => {
    const key = 'workshop-banner-test-key-0123456789'
    const run = cli(['--workshop', ...ALL_PORTS_ZERO], { LAB_KEY: key })
    const { client } = await upWithPorts(run)
    await until('the workshop banner', () => run.stdout.includes('oauth-lab teacher') || run.closed)
    const banner = run.stdout.slice(run.stdout.indexOf('oauth-lab is up'))
    expect(banner).toContain('oauth-lab workshop on this machine only (loopback)')
    expect(banner).toContain(`oauth-lab learners join: http://localhost:${client}/join\n`)
    // The QR code: lines of half blocks between the join URL and the teacher URL.
    const qr = banner.slice(banner.indexOf('/join\n'), banner.indexOf('oauth-lab teacher'))
    expect(qr.split('\n').filter((line) => /[▄▀█]/.test(line)).length).toBeGreaterThan(10)
    expect(banner).toContain(
      `oauth-lab teacher (keep it to yourself): http://localhost:${client}/teacher?lab_key=${key}\n`,
    )
    run.child.kill('SIGTERM')
    await until('the launcher to exit', () => run.closed)
    expect(run.child.exitCode).toBe(0)
  }, 60_000)
})

describe('no role process outlives the launcher', () => {
  it('kill -9 of the launcher: every role closes and frees its port', async () => {
    const run = cli(ALL_PORTS_ZERO)
    const ports = await upWithPorts(run)
    const roles = childPids(run.child.pid ?? 0)
    expect(roles).toHaveLength(3)
    run.child.kill('SIGKILL')
    await until('every role process to end', () => roles.every((pid) => !alive(pid)), 300)
    for (const port of Object.values(ports)) expect(await canConnect(port)).toBe(false)
  }, 60_000)

  it('a role whose launcher is gone while it is still starting exits rather than serve on', async () => {
    const child = spawn(process.execPath, ['dist/bundle/auth-server.js', '--port-auth', '0'], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    })
    if (child.pid !== undefined) seenPids.add(child.pid)
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    // At once: the role has not yet loaded its code, let alone listened.
    child.disconnect()
    let code: number | null | undefined
    void exited.then((c) => (code = c))
    await until('the role to exit', () => code !== undefined, 300)
    expect(code).toBe(0)
  }, 60_000)

  it('SIGTERM to npm/npx, whose shell dies without passing it on: the launcher and its roles stop', async () => {
    // What `npx oauth-lab` runs: npm, then `sh -c oauth-lab`, then the launcher.
    // `; true` keeps the shell from replacing itself with node, as npm's does.
    const shell = start('sh', ['-c', `"${process.execPath}" dist/cli.js ${ALL_PORTS_ZERO.join(' ')}; true`], {
      npm_lifecycle_event: 'npx',
    })
    const ports = await upWithPorts(shell)
    const [launcher] = childPids(shell.child.pid ?? 0)
    expect(launcher).toBeDefined()
    const roles = childPids(launcher ?? 0)
    expect(roles).toHaveLength(3)
    shell.child.kill('SIGTERM')
    await until('the launcher and every role to end', () => [launcher ?? 0, ...roles].every((pid) => !alive(pid)), 300)
    for (const port of Object.values(ports)) expect(await canConnect(port)).toBe(false)
  }, 60_000)
})
