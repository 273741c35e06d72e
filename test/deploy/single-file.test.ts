// The single file, dist/oauth-lab.mjs (npm run build), as a learner gets it:
// copied alone into an empty folder (no node_modules, no views/ or public/
// beside it), run with `node oauth-lab.mjs` on free ports of 127.0.0.1; the
// seven steps over HTTP. Its size lands in test-results/single-file.json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { canConnect, freePorts } from '../helpers/free-port.js'
import { walkSevenSteps } from '../helpers/seven-steps-http.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WORK = mkdtempSync(join(tmpdir(), 'oauth-lab-single-'))
const FILE = join(WORK, 'oauth-lab.mjs')
// The roles' extracted templates go here, so the test sees them made and removed.
const TMP = join(WORK, 'tmp')
const POLL_MS = 50

/** Only what a stranger's shell would have: no npm, no lab settings, no NODE_PATH to find packages through. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env))
    if (!/^(npm_|NODE_|AUTH_|RESOURCE_|CLIENT_|HOST$|LOG_LEVEL$|LAB_|OAUTH_LAB_|STORE$|LAN$|WORKSHOP$)/i.test(key))
      env[key] = value
  return { ...env, TMPDIR: TMP, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra }
}

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 600): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

let lab: ChildProcess | undefined
let stdout = ''
let stderr = ''
let closed = false
let ports: number[] = []

beforeAll(async () => {
  mkdirSync(TMP)
  copyFileSync(join(ROOT, 'dist', 'oauth-lab.mjs'), FILE)
  ports = await freePorts(3)
  const [auth, resource, client] = ports.map(String) as [string, string, string]
  lab = spawn(
    process.execPath,
    ['oauth-lab.mjs', '--port-auth', auth, '--port-resource', resource, '--port-client', client],
    {
      cwd: WORK,
      env: cleanEnv({
        AUTH_PUBLIC_URL: `http://127.0.0.1:${auth}`,
        RESOURCE_PUBLIC_URL: `http://127.0.0.1:${resource}`,
        CLIENT_PUBLIC_URL: `http://127.0.0.1:${client}`,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  lab.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  lab.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  lab.on('close', () => (closed = true))
  await until('the "is up" line', () => /oauth-lab is up in \d+ ms/.test(stdout) || closed)
}, 60_000)

afterAll(async () => {
  if (lab !== undefined && !closed) {
    lab.kill('SIGTERM')
    await until('the lab to stop', () => closed, 200).catch(() => lab?.kill('SIGKILL'))
  }
  rmSync(WORK, { recursive: true, force: true })
})

describe('the single file', () => {
  it('is alone in its folder and small enough to hand out', () => {
    expect(readdirSync(WORK).sort()).toEqual(['oauth-lab.mjs', 'tmp'])
    const bytes = statSync(FILE).size
    mkdirSync(join(ROOT, 'test-results'), { recursive: true })
    writeFileSync(join(ROOT, 'test-results', 'single-file.json'), `${JSON.stringify({ bytes }, null, 2)}\n`)
    console.info(`dist/oauth-lab.mjs: ${(bytes / 1024 / 1024).toFixed(2)} MiB`)
    expect(bytes).toBeGreaterThan(0)
  })

  it('runs the three servers and the seven steps with nothing beside it', async () => {
    expect(closed).toBe(false)
    expect(stderr).toBe('')
    const [auth, resource, client] = ports
    const walk = await walkSevenSteps({ auth: `http://127.0.0.1:${auth}`, client: `http://127.0.0.1:${client}` })
    expect(walk.home.status).toBe(200)
    expect(walk.home.body).toMatch(/<button type="submit">Connect<\/button>/)
    // The stylesheet, from public/ inside the file.
    const css = await fetch(`http://127.0.0.1:${client}/assets/lab.css`)
    expect(css.status).toBe(200)
    expect(await css.text()).toMatch(/\{[^}]*\}/)
    expect(`${walk.authorizeUrl.origin}${walk.authorizeUrl.pathname}`).toBe(`http://127.0.0.1:${auth}/authorize`)
    expect(walk.login.status).toBe(200)
    expect(walk.login.body).toContain('Sign in')
    expect(walk.consent.status).toBe(200)
    expect(walk.consent.body).toContain('OAuth Client 1')
    expect(walk.callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(walk.callback.searchParams.get('state')).toBe(walk.authorizeUrl.searchParams.get('state'))
    expect(walk.tokenPage.status).toBe(200)
    expect(walk.tokenPage.body).toMatch(/<button type="submit">Fetch resource<\/button>/)
    expect(walk.resourcePage.status).toBe(200)
    expect(walk.resourcePage.body).toMatch(/id="resource-status">200</)
    expect(walk.resourcePage.body).toMatch(/(&quot;|&#34;)sub(&quot;|&#34;): (&quot;|&#34;)alice(&quot;|&#34;)/)
    expect(resource).toBeGreaterThan(0)
  }, 60_000)

  it('stops on SIGTERM, every role with it, and leaves no extracted templates behind', async () => {
    expect(readdirSync(TMP).length).toBeGreaterThan(0)
    lab?.kill('SIGTERM')
    await until('the lab to stop', () => closed)
    expect(lab?.exitCode).toBe(0)
    for (const port of ports) expect(await canConnect(port)).toBe(false)
    expect(readdirSync(TMP)).toEqual([])
  }, 30_000)

  it('says its version, and that STORE=sqlite needs better-sqlite3', async () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ['oauth-lab.mjs', ...args],
          { cwd: WORK, env: cleanEnv(env), timeout: 20_000 },
          (_e, out, err) => resolve({ code: child.exitCode, stdout: out, stderr: err }),
        )
      })
    const version = await run(['--version'])
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/)
    expect(version.stdout).not.toBe('0.0.0\n')
    const [port] = await freePorts(1)
    const sqlite = await run(['auth', '--port-auth', String(port)], { STORE: `sqlite:${join(WORK, 'lab.db')}` })
    expect(sqlite.code).toBe(1)
    expect(sqlite.stderr).toBe(
      'oauth-lab auth-server: STORE=sqlite needs the optional package better-sqlite3, which is not installed or not built for this machine: npm install better-sqlite3\n',
    )
  }, 60_000)
})
