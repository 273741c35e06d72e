// The single executable (npm run build:sea) as a learner without Node gets
// it: built here from the compiled dist/, copied alone into an empty folder,
// started on free ports of 127.0.0.1, the seven steps over HTTP. Skipped, with
// the reason in its name, where this node cannot make one (no SEA fuse: a
// distribution's node linked to a shared libnode). Its size lands in
// test-results/single-executable.json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { canConnect, freePorts } from '../helpers/free-port.js'
import { walkSevenSteps } from '../helpers/seven-steps-http.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const NAME = process.platform === 'win32' ? 'oauth-lab.exe' : 'oauth-lab'
const POLL_MS = 50

function cannotBuild(): string | undefined {
  if (!['linux', 'darwin', 'win32'].includes(process.platform)) return `no single executables on ${process.platform}`
  if (!readFileSync(process.execPath).includes(SEA_FUSE))
    return `${process.execPath} has no single-executable fuse (a node from nodejs.org has)`
  return undefined
}
const skip = cannotBuild()

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 600): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env))
    if (!/^(npm_|NODE_|AUTH_|RESOURCE_|CLIENT_|HOST$|LOG_LEVEL$|LAB_|OAUTH_LAB_|STORE$|LAN$|WORKSHOP$)/i.test(key))
      env[key] = value
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra }
}

const WORK = mkdtempSync(join(tmpdir(), 'oauth-lab-sea-'))
let lab: ChildProcess | undefined
let stdout = ''
let stderr = ''
let closed = false
let ports: number[] = []

afterAll(async () => {
  if (lab !== undefined && !closed) {
    lab.kill('SIGTERM')
    await until('the lab to stop', () => closed, 200).catch(() => lab?.kill('SIGKILL'))
  }
  rmSync(WORK, { recursive: true, force: true })
})

describe.skipIf(skip !== undefined)(`the single executable${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  beforeAll(async () => {
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['scripts/build-sea.mjs'], { cwd: ROOT, timeout: 240_000 }, (error, out, err) =>
        error ? reject(new Error(`build:sea failed: ${error.message}\n${out}${err}`)) : resolve(),
      ),
    )
    copyFileSync(join(ROOT, 'dist', NAME), join(WORK, NAME))
    ports = await freePorts(3)
    const [auth, resource, client] = ports.map(String) as [string, string, string]
    lab = spawn(join(WORK, NAME), ['--port-auth', auth, '--port-resource', resource, '--port-client', client], {
      cwd: WORK,
      env: cleanEnv({
        AUTH_PUBLIC_URL: `http://127.0.0.1:${auth}`,
        RESOURCE_PUBLIC_URL: `http://127.0.0.1:${resource}`,
        CLIENT_PUBLIC_URL: `http://127.0.0.1:${client}`,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    lab.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    lab.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    lab.on('close', () => (closed = true))
    await until('the "is up" line', () => /oauth-lab is up in \d+ ms/.test(stdout) || closed)
  }, 300_000)

  it('is one file, reported with its size', () => {
    expect(readdirSync(WORK)).toEqual([NAME])
    const bytes = statSync(join(WORK, NAME)).size
    mkdirSync(join(ROOT, 'test-results'), { recursive: true })
    writeFileSync(join(ROOT, 'test-results', 'single-executable.json'), `${JSON.stringify({ bytes }, null, 2)}\n`)
    console.info(`dist/${NAME}: ${(bytes / 1024 / 1024).toFixed(1)} MiB`)
  })

  it('runs the three servers and the seven steps', async () => {
    expect(closed).toBe(false)
    expect(stderr).toBe('')
    const [auth, , client] = ports
    const walk = await walkSevenSteps({ auth: `http://127.0.0.1:${auth}`, client: `http://127.0.0.1:${client}` })
    expect(walk.login.body).toContain('Sign in')
    expect(walk.consent.body).toContain('OAuth Client 1')
    expect(walk.callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(walk.resourcePage.status).toBe(200)
    expect(walk.resourcePage.body).toMatch(/id="resource-status">200</)
    expect((await fetch(`http://127.0.0.1:${client}/assets/lab.css`)).status).toBe(200)
  }, 60_000)

  it('stops on SIGTERM, every role with it', async () => {
    lab?.kill('SIGTERM')
    await until('the lab to stop', () => closed)
    expect(lab?.exitCode).toBe(0)
    for (const port of ports) expect(await canConnect(port)).toBe(false)
  }, 30_000)
})
