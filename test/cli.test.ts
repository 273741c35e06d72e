// `oauth-lab`, the package's bin, as a user runs it: the compiled dist/cli.js
// as a real process on free ports of 127.0.0.1, with bounded waits.

import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { canConnect, freePort, freePorts } from './helpers/free-port.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const EXAMPLE = 'examples/oauth-lab.config.json'
const POLL_MS = 50
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

interface Run {
  readonly child: ChildProcess
  stdout: string
  stderr: string
  closed: boolean
}

const runs = new Set<Run>()
const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-cli-'))

/** No variable of the caller's may move the lab off the test's ports, host or config. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(AUTH|RESOURCE|CLIENT)_|^OAUTH_LAB_CONFIG$|^HOST$|^LOG_LEVEL$/.test(name)) delete env[name]
  }
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn' }
}

function cli(args: string[]): Run {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const run: Run = { child, stdout: '', stderr: '', closed: false }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
  child.on('close', () => (run.closed = true))
  runs.add(run)
  return run
}

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 300): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function exitCodeOf(run: Run): Promise<number | null> {
  await until('the process to exit', () => run.closed)
  return run.child.exitCode
}

async function get(port: number, path: string): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })
    return { status: response.status, body: await response.json() }
  } catch {
    return undefined
  }
}

async function stop(run: Run): Promise<void> {
  if (run.closed) return
  run.child.kill('SIGTERM')
  await until('the process to stop', () => run.closed, 200).catch(() => run.child.kill('SIGKILL'))
}

// dist/ is built once for the whole suite (test/helpers/global-setup.ts).

afterAll(async () => {
  await Promise.all([...runs].map(stop))
  rmSync(dir, { recursive: true, force: true })
})

describe('oauth-lab --help, --version and bad command lines', () => {
  it('prints the usage and exits 0 on --help', async () => {
    const run = cli(['--help'])
    expect(await exitCodeOf(run)).toBe(0)
    expect(run.stdout).toMatch(/^Usage: oauth-lab \[auth\|resource\|client\] \[options\]/)
    for (const flag of [
      '--config',
      '--port-auth',
      '--port-resource',
      '--port-client',
      '--log-level',
      '--help',
      '--version',
    ])
      expect(run.stdout).toContain(flag)
    expect(run.stderr).toBe('')
  })

  it('prints the package version and exits 0 on --version', async () => {
    const run = cli(['--version'])
    expect(await exitCodeOf(run)).toBe(0)
    expect(run.stdout).toBe(`${VERSION}\n`)
  })

  it.each([
    [['--bogus'], 'oauth-lab: unknown option --bogus (see oauth-lab --help)'],
    [
      ['frobnicate'],
      'oauth-lab: unknown command frobnicate (expected auth, resource, client or none) (see oauth-lab --help)',
    ],
    [
      ['auth', '--port-auth', 'abc'],
      'oauth-lab: --port-auth abc is not a port number (0-65535) (see oauth-lab --help)',
    ],
    [['--config'], 'oauth-lab: option --config needs a value (see oauth-lab --help)'],
    [
      ['--log-level', 'loud'],
      'oauth-lab: --log-level loud must be one of: fatal, error, warn, info, debug, trace, silent (see oauth-lab --help)',
    ],
  ])('%j exits 2 with one line on stderr', async (args, line) => {
    const run = cli(args)
    expect(await exitCodeOf(run)).toBe(2)
    expect(run.stderr).toBe(`${line}\n`)
    expect(run.stdout).toBe('')
  })

  it('exits 1 with the file, path and problem on a bad config file', async () => {
    const file = join(dir, 'bad.config.json')
    writeFileSync(file, JSON.stringify({ clients: [{ clientId: 'x', redirectUris: [1] }] }))
    const run = cli(['--config', file])
    expect(await exitCodeOf(run)).toBe(1)
    expect(run.stderr).toBe(
      `oauth-lab: configuration error in ${file} at /clients/0/redirectUris/0: must be a string\n`,
    )
    expect(run.stdout).toBe('')
  })
})

describe('oauth-lab auth (one role)', () => {
  it("serves /healthz and metadata with the config file's scopes on --port-auth", async () => {
    const port = await freePort()
    const run = cli(['auth', '--config', EXAMPLE, '--port-auth', `${port}`])
    await until('auth /healthz', async () => (await get(port, '/healthz')) !== undefined || run.closed)
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } })
    const metadata = await get(port, '/.well-known/oauth-authorization-server')
    expect(metadata?.body).toMatchObject({
      issuer: `http://localhost:${port}`,
      scopes_supported: expect.arrayContaining(['foo', 'bar', 'baz']),
    })
    run.child.kill('SIGTERM')
    expect(await exitCodeOf(run)).toBe(0)
    expect(await canConnect(port)).toBe(false)
  }, 60_000)
})

describe('oauth-lab (all three roles)', () => {
  it('hands the config and ports to every role, becomes healthy and stops on SIGTERM', async () => {
    const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
    const run = cli([
      '--config',
      EXAMPLE,
      '--port-auth',
      `${auth}`,
      '--port-resource',
      `${resource}`,
      '--port-client',
      `${client}`,
    ])
    await until('the "is up" line', () => /oauth-lab is up in \d+ ms/.test(run.stdout) || run.closed, 400)
    expect(run.stdout).toMatch(new RegExp(`oauth-lab is up in \\d+ ms: open http://localhost:${client}\\n`))
    for (const port of [auth, resource, client])
      expect(await get(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } })
    // The child auth server read the same file: the example's scopes.
    expect((await get(auth, '/.well-known/oauth-authorization-server'))?.body).toMatchObject({
      scopes_supported: expect.arrayContaining(['baz']),
    })
    run.child.kill('SIGTERM')
    expect(await exitCodeOf(run)).toBe(0)
    for (const port of [auth, resource, client]) expect(await canConnect(port)).toBe(false)
    expect(run.stderr).toBe('')
  }, 60_000)
})
