// The Dockerfile without a docker engine: its stages are replayed in temp
// directories, instruction by instruction: COPY copies the same files (from
// the project, or from the builder stage's directory), RUN runs the same
// commands there with /app moved to the stage's directory, ENV is kept for
// the start. Only what needs the image's root and system is left out (apt-get:
// this machine has the compiler already; chown: the image's `node` user). Then
// the runtime stage's auth server starts on STORE=sqlite, which needs the
// better-sqlite3 the builder compiled. Bounded: the native build takes minutes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/free-port.js'
import { defined } from '../helpers/lists.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const POLL_MS = 50
const WORK = mkdtempSync(join(tmpdir(), 'oauth-lab-dockerfile-'))
/** What the image's WORKDIR is; every stage gets a directory of its own in its place. */
const APP = '/app'

interface Stage {
  readonly name: string
  readonly dir: string
  readonly env: Record<string, string>
  readonly steps: string[]
}

type Instruction = { readonly op: string; readonly args: string }

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/)
      return { op: op.toUpperCase(), args: rest.join(' ') }
    })
}

/**
 * Parts of a RUN that change the system rather than the app: the test
 * machine has the tools apt-get installs (checked below), and no `node` user.
 */
const SYSTEM_STEP = /^(apt-get\b|rm -rf \/var\/lib\/apt\b|chown\b)/

/** The packages an `apt-get install` step names. */
function aptPackages(step: string): string[] {
  return step.startsWith('apt-get install')
    ? step
        .split(/\s+/)
        .slice(2)
        .filter((word) => !word.startsWith('-'))
    : []
}

/** A path of the image, moved to the stage's directory. */
const inStage = (stage: Stage, path: string) => (path.startsWith(APP) ? `${stage.dir}${path.slice(APP.length)}` : path)

/** The environment of a RUN: the machine's, without npm's own variables (set under `npm test`). */
function runEnv(stage: Stage): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value
  return {
    ...env,
    ...stage.env,
    // The project's install filled the npm cache; the registry only for what is missing.
    npm_config_prefer_offline: 'true',
    // better-sqlite3 compiles rather than fetching a prebuilt binary from GitHub:
    // this test reaches no network but the npm registry. The image may download one.
    npm_config_build_from_source: 'true',
  }
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`RUN ${command} failed: ${error.message}\n${stdout}${stderr}`))
      else resolve()
    })
  })
}

/** Replays the Dockerfile; returns its stages by name. */
async function replay(dockerfile: string): Promise<Map<string, Stage>> {
  const stages = new Map<string, Stage>()
  let stage: Stage | undefined
  const current = () => defined(stage, 'an instruction before FROM')
  for (const { op, args } of instructions(dockerfile)) {
    if (op === 'FROM') {
      const name = defined(/\bAS\s+(\S+)$/i.exec(args)?.[1], `a stage name in FROM ${args}`)
      stage = { name, dir: join(WORK, name), env: {}, steps: [] }
      mkdirSync(stage.dir)
      stages.set(name, stage)
    } else if (op === 'WORKDIR') {
      expect(args).toBe(APP)
    } else if (op === 'ENV') {
      const [key = '', ...value] = args.split('=')
      current().env[key] = value.join('=')
    } else if (op === 'COPY') {
      const words = args.split(/\s+/)
      const from = words[0]?.startsWith('--from=') ? defined(stages.get(words[0].slice(7)), words[0]) : undefined
      const paths = from ? words.slice(1) : words
      const dest = join(current().dir, defined(paths.at(-1), `COPY ${args}`))
      for (const source of paths.slice(0, -1)) {
        const path = from ? inStage(from, source) : join(ROOT, source)
        cpSync(path, dest.endsWith('/') ? join(dest, basename(source)) : dest, { recursive: true })
      }
      current().steps.push(`COPY ${args}`)
    } else if (op === 'RUN') {
      for (const step of args.split(/\s+&&\s+/)) {
        if (SYSTEM_STEP.test(step)) {
          // What the image installs for the native build is here already.
          for (const tool of aptPackages(step)) execFileSync('sh', ['-c', `command -v ${tool}`])
          continue
        }
        const command = step.replaceAll(APP, current().dir)
        await sh(command, current().dir, runEnv(current()), 420_000)
        current().steps.push(`RUN ${step}`)
      }
    }
  }
  return stages
}

interface Server {
  readonly child: ChildProcess
  stderr: string
  closed: boolean
}

let server: Server | undefined

afterAll(async () => {
  if (server && !server.closed) {
    server.child.kill('SIGTERM')
    for (let i = 0; i < 200 && !server.closed; i++) await sleep(POLL_MS)
    if (!server.closed) server.child.kill('SIGKILL')
  }
  rmSync(WORK, { recursive: true, force: true })
})

describe("the Dockerfile's stages, replayed without docker", () => {
  let runtime: Stage

  beforeAll(async () => {
    const stages = await replay(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
    runtime = defined(stages.get('runtime'), 'the runtime stage')
  }, 600_000)

  it('builds better-sqlite3 in the builder and hands the runtime production packages only', () => {
    const modules = join(runtime.dir, 'node_modules')
    expect(existsSync(join(modules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true)
    // Pruned: no compiler, bundler or test runner in the image.
    for (const dev of ['typescript', 'esbuild', 'vitest']) expect(existsSync(join(modules, dev)), dev).toBe(false)
    expect(statSync(join(runtime.dir, 'dist', 'bundle', 'auth-server.js')).isFile()).toBe(true)
    expect(runtime.steps).toContain('COPY --from=builder /app/node_modules ./node_modules')
    // The runtime stage installs nothing itself: a second install would need the compiler again.
    expect(runtime.steps.filter((step) => /\bnpm (ci|install)\b/.test(step))).toEqual([])
  })

  it("starts the runtime's auth server on STORE=sqlite and answers /healthz", async () => {
    const port = await freePort()
    const store = join(runtime.dir, 'data', 'oauth-lab.db')
    const child = spawn(process.execPath, ['dist/bundle/auth-server.js'], {
      cwd: runtime.dir,
      env: {
        PATH: process.env.PATH,
        ...runtime.env,
        // Never 0.0.0.0 in a test: loopback only.
        HOST: '127.0.0.1',
        AUTH_PORT: String(port),
        LOG_LEVEL: 'warn',
        STORE: `sqlite:${store}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const started: Server = { child, stderr: '', closed: false }
    server = started
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (started.stderr += chunk))
    child.on('close', () => (started.closed = true))
    let status: number | undefined
    for (let i = 0; i < 400 && !started.closed && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
        async (response) => (await response.body?.cancel(), response.status),
        () => undefined,
      )
      if (status !== 200) await sleep(POLL_MS)
    }
    expect({ status, stderr: started.stderr }).toEqual({ status: 200, stderr: '' })
    expect(statSync(store).mode & 0o777).toBe(0o600)
  }, 60_000)
})
