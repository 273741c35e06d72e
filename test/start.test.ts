// `npm start` as a user runs it: the compiled launcher (and each compiled entry
// file alone) as real processes on free ports of 127.0.0.1. Every wait is a
// bounded poll; start-up time is recorded, never asserted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defined, first } from './helpers/lists.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { canConnect, freePort, freePorts } from './helpers/free-port.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const POLL_MS = 50

interface Run {
  readonly child: ChildProcess
  stdout: string
  stderr: string
  /** From spawn to the launcher's "is up" line, as this test saw it. */
  upAfterMs?: number
  closed: boolean
}

const runs = new Set<Run>()

/** The environment minus anything that would move the lab off the test's ports and host. */
function labEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of [
    'AUTH_PUBLIC_URL',
    'AUTH_INTERNAL_URL',
    'RESOURCE_PUBLIC_URL',
    'RESOURCE_INTERNAL_URL',
    'CLIENT_PUBLIC_URL',
  ]) {
    delete env[name]
  }
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...vars }
}

function run(script: string, vars: Record<string, string>): Run {
  const startedAt = performance.now()
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: labEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] })
  const result: Run = { child, stdout: '', stderr: '', closed: false }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    result.stdout += chunk
    if (result.upAfterMs === undefined && /oauth-lab is up in \d+ ms/.test(result.stdout)) {
      result.upAfterMs = Math.round(performance.now() - startedAt)
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (result.stderr += chunk))
  child.on('close', () => (result.closed = true))
  runs.add(result)
  return result
}

/** The script each child process of `pid` runs (its first argument after node), read from /proc. */
function childScripts(pid: number): string[] {
  const scripts: string[] = []
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (argv[1]) scripts.push(argv[1])
    } catch {
      // The process ended while being read.
    }
  }
  return scripts
}

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 300): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function exitCodeOf(r: Run): Promise<number | null> {
  await until('the process to exit', () => r.closed)
  return r.child.exitCode
}

async function healthz(port: number): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
    return { status: response.status, body: await response.json() }
  } catch {
    return undefined
  }
}

/** A test that failed half-way must not leave a lab running. */
async function stop(r: Run): Promise<void> {
  if (r.closed) return
  r.child.kill('SIGTERM')
  await until('the process to stop', () => r.closed, 200).catch(() => r.child.kill('SIGKILL'))
}

// dist/ is built once for the whole suite (test/helpers/global-setup.ts).

// Per file, not per test: the launcher of the first describe lives across its tests.
afterAll(() => Promise.all([...runs].map(stop)))

describe('npm start (node dist/start.js)', () => {
  let lab: Run
  let auth: number, resource: number, client: number

  beforeAll(async () => {
    ;[auth, resource, client] = (await freePorts(3)) as [number, number, number]
    // info, not warn: the role prefixes and the readable pino lines are under test too.
    lab = run('dist/start.js', {
      AUTH_PORT: `${auth}`,
      RESOURCE_PORT: `${resource}`,
      CLIENT_PORT: `${client}`,
      LOG_LEVEL: 'info',
    })
    await until('the "is up" line', () => lab.upAfterMs !== undefined || lab.closed, 400)
    const reported = /oauth-lab is up in (\d+) ms/.exec(lab.stdout)?.[1]
    mkdirSync(`${ROOT}/test-results`, { recursive: true })
    writeFileSync(
      `${ROOT}/test-results/startup.json`,
      `${JSON.stringify({ spawnToUpMs: lab.upAfterMs, launcherReportedMs: reported === undefined ? undefined : Number(reported), node: process.version, at: new Date().toISOString() }, null, 2)}\n`,
    )
  }, 60_000)

  it('says once where each process is, then that the lab is up', () => {
    expect(lab.stderr).toBe('')
    const lines = lab.stdout.split('\n')
    const ready = lines.filter((line) => line.startsWith('oauth-lab ') && line.includes(' ready at '))
    expect(ready.map((line) => line.replace(/\s+/g, ' ')).sort()).toEqual([
      `oauth-lab auth-server ready at http://localhost:${auth}`,
      `oauth-lab client ready at http://localhost:${client}`,
      `oauth-lab resource-server ready at http://localhost:${resource}`,
    ])
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^oauth-lab is up in \\d+ ms: open http://localhost:${client}$`)),
    )
  })

  it('prints the lab key once, as a link, and all three servers accept that one key', async () => {
    const keyLines = lab.stdout.split('\n').filter((line) => line.includes('lab_key='))
    expect(keyLines).toHaveLength(1)
    const key = new RegExp(`^oauth-lab lab key: http://localhost:${client}/flow\\?lab_key=([A-Za-z0-9_-]{43})$`).exec(
      first(keyLines),
    )?.[1]
    expect(key).toBeDefined()
    // Bound to loopback (the default): no exposure warning.
    expect(lab.stdout).not.toContain('oauth-lab warning')
    for (const port of [auth, resource, client]) {
      const unlocked = await fetch(`http://127.0.0.1:${port}/healthz?lab_key=${key}`, { redirect: 'manual' })
      expect(unlocked.status).toBe(303)
      expect(unlocked.headers.get('set-cookie')).toMatch(/^oauth_lab_key=/)
      const wrong = await fetch(`http://127.0.0.1:${port}/healthz?lab_key=${key}x`, { redirect: 'manual' })
      expect(wrong.status).toBe(401)
    }
  })

  it('answers GET /healthz on every port', async () => {
    for (const port of [auth, resource, client]) {
      expect(await healthz(port)).toEqual({ status: 200, body: { status: 'ok' } })
    }
  })

  it('runs each role from its one-file bundle (dist/bundle/<role>.js), which carries its dependencies', () => {
    const children = childScripts(lab.child.pid!)
    expect(children.sort()).toEqual(
      ['dist/bundle/auth-server.js', 'dist/bundle/client.js', 'dist/bundle/resource-server.js'].map(
        (f) => `${ROOT}${f}`,
      ),
    )
    // esbuild's account of the build (scripts/bundle-roles.mjs): only Node's
    // built-ins and the optional native addon (better-sqlite3, for
    // STORE=sqlite) stay outside a bundle; undici, ajv and yaml are inside.
    const meta = JSON.parse(readFileSync(`${ROOT}dist/bundle/meta.json`, 'utf8')) as {
      outputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>
    }
    for (const role of ['auth-server', 'client', 'resource-server']) {
      const imports = defined(meta.outputs[`dist/bundle/${role}.js`], `the ${role} bundle`)
        .imports.filter((i) => i.external)
        .map((i) => i.path)
      const outside = imports.filter(
        (path) => !path.startsWith('node:') && !builtinModules.includes(path) && path !== 'better-sqlite3',
      )
      expect({ role, outside }).toEqual({ role, outside: [] })
      expect(imports).toContain('node:crypto')
    }
  })

  it('prefixes every log line with its role and prints pino lines readably', async () => {
    await fetch(`http://127.0.0.1:${auth}/no-such-page`).then((response) => response.body?.cancel())
    await until('the request log lines', () => /request completed 404/.test(lab.stdout), 100)
    const lines = lab.stdout.split('\n').filter((line) => line !== '')
    for (const line of lines) expect(line).toMatch(/^(\[auth {4}\] |\[resource\] |\[client {2}\] |oauth-lab )/)
    for (const tag of ['[auth    ] ', '[resource] ', '[client  ] ']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${tag.replace(/[[\]]/g, '\\$&')}info `)))
    }
    expect(lines).toContain('[auth    ] info incoming request GET /no-such-page')
    expect(lines).toContainEqual(expect.stringMatching(/^\[auth {4}\] info request completed 404 \d+\.\d ms$/))
    expect(lab.stdout).not.toMatch(/"level":/)
  })

  it('stops every process on SIGTERM, exits 0 and frees the ports', async () => {
    lab.child.kill('SIGTERM')
    expect(await exitCodeOf(lab)).toBe(0)
    for (const port of [auth, resource, client]) expect(await canConnect(port)).toBe(false)
  }, 60_000)
})

describe('npm start when something is wrong', () => {
  it('fails on a bad setting with one line naming it, before starting anything', async () => {
    const lab = run('dist/start.js', { AUTH_PORT: 'abc' })
    expect(await exitCodeOf(lab)).toBe(1)
    expect(lab.stderr).toBe('oauth-lab: configuration error: AUTH_PORT=abc is not a port number (0-65535)\n')
    expect(lab.stdout).toBe('')
  })

  it('exits 1 and stops the others when one process cannot bind its port', async () => {
    const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
    // Hangs up at once: the launcher's health poll on this port must not keep it open.
    const blocker = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => blocker.listen(resource, '127.0.0.1', resolve))
    try {
      const lab = run('dist/start.js', { AUTH_PORT: `${auth}`, RESOURCE_PORT: `${resource}`, CLIENT_PORT: `${client}` })
      expect(await exitCodeOf(lab)).toBe(1)
      expect(lab.stderr).toMatch(
        /^\[resource\] oauth-lab resource-server: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/m,
      )
      expect(lab.stderr).toMatch(
        /^oauth-lab: resource-server exited unexpectedly with exit code 1; stopping the others$/m,
      )
      expect(lab.stdout).not.toMatch(/is up in/)
      for (const port of [auth, client]) expect(await canConnect(port)).toBe(false)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  }, 60_000)
})

describe('each role alone (node dist/<role>/server.js)', () => {
  it.each([
    ['auth-server', 'AUTH_PORT'],
    ['resource-server', 'RESOURCE_PORT'],
    ['client', 'CLIENT_PORT'],
  ])(
    '%s answers /healthz and exits 0 on SIGTERM',
    async (role, portVar) => {
      const port = await freePort()
      const server = run(`dist/${role}/server.js`, { [portVar]: `${port}` })
      await until(`${role} /healthz`, async () => (await healthz(port)) !== undefined || server.closed)
      expect(await healthz(port)).toEqual({ status: 200, body: { status: 'ok' } })
      server.child.kill('SIGTERM')
      expect(await exitCodeOf(server)).toBe(0)
      expect(await canConnect(port)).toBe(false)
    },
    60_000,
  )
})
