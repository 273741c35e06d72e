// The package as a stranger gets it: `npm pack`, then `npm install <tarball>`
// into a fresh project without dev or optional dependencies (no better-sqlite3,
// so no compiler), then the `oauth-lab` bin on free ports. npm reads the
// project's own install from its cache and the npm registry for anything
// missing (--prefer-offline: a lockfile install caches tarballs but not the
// package documents a fresh resolution needs, so --offline cannot resolve).
// Times and sizes land in test-results/package-install.json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { canConnect, freePorts } from '../helpers/free-port.js'
import { defined } from '../helpers/lists.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const POLL_MS = 50
const WORK = mkdtempSync(join(tmpdir(), 'oauth-lab-package-'))
const PROJECT = join(WORK, 'project')
const BIN = join(PROJECT, 'node_modules', '.bin', 'oauth-lab')
const MISSING_SQLITE =
  'oauth-lab auth-server: STORE=sqlite needs the optional package better-sqlite3, which is not installed or not built for this machine: npm install better-sqlite3\n'

/** The environment without npm's own npm_* variables (set when the suite runs under `npm test`). */
function cleanEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value
  return { ...env, ...vars }
}

/** Runs a command to its end, bounded; rejects with its output on failure. */
function run(file: string, args: string[], cwd: string, timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: cleanEnv(), timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`))
      else resolve(stdout)
    })
  })
}

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 400): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function healthz(port: number): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
    return { status: response.status, body: await response.json() }
  } catch {
    return undefined
  }
}

/** Every file under `dir` whose name ends with `suffix` (a compiled addon: `.node`). */
function filesEndingWith(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith(suffix))
}

interface Lab {
  readonly child: ChildProcess
  stdout: string
  stderr: string
  closed: boolean
}

const labs: Lab[] = []

function start(args: string[], vars: Record<string, string> = {}, command = BIN, cwd = PROJECT): Lab {
  const child = spawn(command, args, {
    cwd,
    env: cleanEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...vars }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lab: Lab = { child, stdout: '', stderr: '', closed: false }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (lab.stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (lab.stderr += chunk))
  child.on('close', () => (lab.closed = true))
  labs.push(lab)
  return lab
}

/** SIGTERM, a bounded wait, then SIGKILL: a failed test must leave no server behind. */
async function stop(lab: Lab): Promise<void> {
  if (lab.closed) return
  lab.child.kill('SIGTERM')
  await until('the lab to stop', () => lab.closed, 200).catch(async () => {
    lab.child.kill('SIGKILL')
    await until('the lab to die', () => lab.closed, 100).catch(() => undefined)
  })
}

afterAll(async () => {
  await Promise.all(labs.map(stop))
  rmSync(WORK, { recursive: true, force: true })
})

describe('npm pack, npm install <tarball>, npx oauth-lab', () => {
  let tarball: string
  let listing: string[]
  let installMs: number

  beforeAll(async () => {
    // dist/ is built once for the whole suite (test/helpers/global-setup.ts);
    // --ignore-scripts: `prepare` would rebuild it under the other test files' feet.
    const packed = JSON.parse(
      await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', WORK], ROOT, 60_000),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>
    const pack = defined(packed[0], 'the packed tarball')
    tarball = join(WORK, pack.filename)
    listing = pack.files.map((f) => f.path)
    mkdirSync(PROJECT)
    writeFileSync(join(PROJECT, 'package.json'), '{ "name": "fresh-project", "private": true }\n')
    const startedAt = performance.now()
    await run(
      'npm',
      ['install', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', tarball],
      PROJECT,
      150_000,
    )
    installMs = Math.round(performance.now() - startedAt)
  }, 240_000)

  it('packs the built code, templates, assets, licence and contract, without source maps or sources', () => {
    expect(listing).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'docs/contract.md',
        'dist/cli.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/start.js',
        'dist/bundle/auth-server.js',
        'dist/bundle/resource-server.js',
        'dist/bundle/client.js',
        'views/layout.eta',
      ]),
    )
    expect(listing.some((path) => path.startsWith('public/'))).toBe(true)
    const unwanted = listing.filter(
      (path) =>
        !/^(dist|views|public)\//.test(path) &&
        !['LICENSE', 'README.md', 'package.json', 'docs/contract.md'].includes(path),
    )
    expect(unwanted).toEqual([])
    expect(listing.filter((path) => path.endsWith('.map') || path.endsWith('.tsbuildinfo'))).toEqual([])
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.private).toBeUndefined()
    expect(manifest.license).toBe('MIT')
  })

  it('installs without better-sqlite3 and without compiling anything', () => {
    const modules = join(PROJECT, 'node_modules')
    expect(statSync(join(modules, 'oauth-lab', 'dist', 'cli.js')).isFile()).toBe(true)
    expect(() => statSync(join(modules, 'better-sqlite3'))).toThrow()
    expect(filesEndingWith(modules, '.node')).toEqual([])
    mkdirSync(join(ROOT, 'test-results'), { recursive: true })
    writeFileSync(
      join(ROOT, 'test-results', 'package-install.json'),
      `${JSON.stringify({ omit: ['dev', 'optional'], installMs, tarballBytes: statSync(tarball).size, node: process.version, at: new Date().toISOString() }, null, 2)}\n`,
    )
  })

  it('runs the three servers from the bin on free ports and issues a client_credentials token', async () => {
    const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
    const lab = start(['--port-auth', `${auth}`, '--port-resource', `${resource}`, '--port-client', `${client}`])
    await until('the "is up" line', () => /oauth-lab is up in \d+ ms/.test(lab.stdout) || lab.closed)
    expect(lab.closed, lab.stderr).toBe(false)
    for (const port of [auth, resource, client]) {
      expect(await healthz(port)).toEqual({ status: 200, body: { status: 'ok' } })
    }
    // RFC 6749 section 4.4: the client authenticates with HTTP Basic and gets a token at once.
    const response = await fetch(`http://127.0.0.1:${auth}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials&scope=foo',
    })
    expect(response.status).toBe(200)
    const token = (await response.json()) as { access_token?: unknown; token_type?: unknown }
    expect(token.token_type).toBe('Bearer')
    expect(token.access_token).toEqual(expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/))

    await stop(lab)
    expect(lab.child.signalCode ?? lab.child.exitCode).not.toBe('SIGKILL')
    // No orphan: the launcher's three children went with it.
    for (const port of [auth, resource, client]) expect(await canConnect(port), `port ${port}`).toBe(false)
  }, 60_000)

  it('says in one line what STORE=sqlite needs when better-sqlite3 is not installed, and exits 1', async () => {
    const [auth] = (await freePorts(1)) as [number]
    const store = join(WORK, 'data', 'oauth-lab.db')
    const lab = start(['auth', '--port-auth', `${auth}`], { STORE: `sqlite:${store}` })
    await until('the auth server to exit', () => lab.closed)
    expect(lab.child.exitCode).toBe(1)
    expect(lab.stderr).toBe(MISSING_SQLITE)
    // Nothing was created for a store that cannot be used.
    expect(() => statSync(store)).toThrow()
  })
})

describe('the one-file bundles, with no node_modules at all', () => {
  it('each role starts from its bundle alone and reads a YAML config file (undici, ajv and yaml are inside)', async () => {
    // What a bundle resolves beside it: nothing but Node (no node_modules up the tree of a temp dir).
    const lone = join(WORK, 'lone')
    for (const dir of ['dist/bundle', 'views', 'public']) cpSync(join(ROOT, dir), join(lone, dir), { recursive: true })
    cpSync(join(ROOT, 'package.json'), join(lone, 'package.json'))
    const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
    // A schema-checked YAML file: yaml parses it, ajv validates it, both loaded on demand.
    writeFileSync(join(lone, 'lab.yaml'), `ports:\n  auth: ${auth}\n  resource: ${resource}\n  client: ${client}\n`)
    const roles = ['auth-server', 'resource-server', 'client'].map((role) =>
      start([`dist/bundle/${role}.js`, '--config', 'lab.yaml'], { LAB_KEY: 'k'.repeat(43) }, process.execPath, lone),
    )
    for (const port of [auth, resource, client]) {
      await until(
        `port ${port} /healthz`,
        async () => roles.some((r) => r.closed) || (await healthz(port)) !== undefined,
      )
      expect(roles.map((r) => r.stderr).join('')).toBe('')
      expect(await healthz(port)).toEqual({ status: 200, body: { status: 'ok' } })
    }
    await Promise.all(roles.map(stop))
  }, 60_000)
})
