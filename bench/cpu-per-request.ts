// `node dist-bench/cpu-per-request.js [label=path ...]`: CPU time per request
// of the four hot endpoints, A/B between builds of oauth-lab (each path is a
// checkout with `dist/bundle/` built; default: this checkout alone).
//
//   git worktree add /work/wt/old <commit> && ln -s $PWD/node_modules /work/wt/old/
//   (cd /work/wt/old && npx tsc -p tsconfig.build.json && node scripts/bundle-roles.mjs)
//   npm run build && npx tsc -p bench/tsconfig.json
//   node dist-bench/cpu-per-request.js old=/work/wt/old new=.
//
// Why CPU time and not a rate: on a shared machine the rate measures the
// neighbours as much as the server, while the CPU a server spends on N
// requests barely moves with them. It is read from /proc/<pid>/task/*/schedstat
// (nanoseconds, every thread: the main loop, the thread pool that signs, GC),
// so measuring costs the server nothing. Each build runs its authorization
// server and resource server in their own processes (LOG_LEVEL=warn, as
// `npm start`). In each round every build is loaded at the same time, each
// over its own connections, so that a drift of the machine's speed or a
// neighbour's burst falls on all of them alike; the median round is reported,
// and the median of the per-round ratios to the first build.
//
// Knobs: REQUESTS (per round, default 4000), ROUNDS (default 5),
// CONNECTIONS (default 16), ONLY (comma-separated: cc,ac,resource,introspect),
// CEILINGS=1 (the ceilings server too, see startCeilings), PROFILE (a folder: --cpu-prof profiles of every server, by label, and the
// measured windows, for profile-diff.js).

import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  RESOURCE_CLIENT_ID,
  RESOURCE_CLIENT_SECRET,
  codeGrant,
  labUrls,
  mintCodes,
  redirectUri,
  rememberConsent,
  userAccessToken,
} from './flows.js'
import { basic, form } from './http.js'
import { freePorts, ROOT, serverEnv, waitHealthy } from './procs.js'
import { median } from './stats.js'
import { table } from './report.js'

const REQUESTS = Number(process.env.REQUESTS ?? 4000)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16)
const KINDS = ['cc', 'ac', 'resource', 'introspect'] as const
type Kind = (typeof KINDS)[number]
/** PROFILE=dir: each server also writes a --cpu-prof profile under dir/<label>/ when stopped. */
const PROFILE_DIR = process.env.PROFILE === undefined ? undefined : resolvePath(process.env.PROFILE)
const ONLY = new Set((process.env.ONLY ?? KINDS.join(',')).split(','))

const CEILING_ROUTES = 'POST /sign for the token requests, GET /verify for the resource and introspection'

const LABELS: Record<Kind, string> = {
  cc: 'POST /token client_credentials',
  ac: 'POST /token authorization_code',
  resource: 'GET /resource (JWT)',
  introspect: 'POST /introspect',
}

/** Nanoseconds of CPU used so far by every thread of `pid`. */
function cpuNs(pid: number): number {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total
}

/** What the rounds load: a build of the lab, or the ceilings server. */
interface Target {
  readonly label: string
  readonly children: ChildProcess[]
  job(kind: Kind): Promise<Job>
}

interface Build {
  readonly label: string
  readonly root: string
  readonly children: ChildProcess[]
  auth: number
  resource: number
  authPid: number
  resourcePid: number
  token: string
  redirect: string
  mint: (count: number) => Promise<string[]>
}

/** Spawns a server, killed whenever the bench exits (procs.ts turns signals into an exit). */
function spawnServer(root: string, script: string, env: NodeJS.ProcessEnv, label: string): ChildProcess {
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, label)}`]
  const child = spawn(process.execPath, [...profile, script], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  process.once('exit', () => child.kill('SIGKILL'))
  return child
}

/**
 * CEILINGS=1: bare Fastify doing the unavoidable work (bench/servers/ceilings.ts,
 * as `npm run bench` runs it), loaded in the same rounds: POST /sign beside the
 * token requests, GET /verify beside the resource and introspection, so each
 * build's CPU per request can be read as a ratio to it, like the README's table.
 */
async function startCeilings(agent: Agent): Promise<Target> {
  const [port] = (await freePorts(1)) as [number]
  const child = spawnServer(ROOT, 'dist-bench/servers/ceilings.js', serverEnv({ PORT: String(port) }), 'ceiling')
  const url = `http://127.0.0.1:${port}`
  await waitHealthy(`${url}/healthz`, performance.now())
  const headers = {
    authorization: basic(CLIENT_ID, CLIENT_SECRET),
    'content-type': 'application/x-www-form-urlencoded',
  }
  const body = form({ grant_type: 'client_credentials', scope: 'foo bar' })
  const signed = await request(`${url}/sign`, { method: 'POST', headers, body, dispatcher: agent })
  const { access_token: token } = (await signed.body.json()) as { access_token: string }
  return {
    label: 'ceiling',
    children: [child],
    job: (kind) =>
      Promise.resolve<Job>(
        kind === 'cc' || kind === 'ac'
          ? {
              pid: child.pid!,
              url: `${url}/sign`,
              method: 'POST',
              headers,
              body: () => body,
              expect: (t) => t.includes('"access_token"'),
            }
          : {
              pid: child.pid!,
              url: `${url}/verify`,
              method: 'GET',
              headers: { authorization: `Bearer ${token}` },
              body: () => undefined,
              expect: () => true,
            },
      ),
  }
}

async function startBuild(label: string, root: string, agent: Agent): Promise<Target> {
  const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
  const env = serverEnv({ AUTH_PORT: String(auth), RESOURCE_PORT: String(resource), CLIENT_PORT: String(client) })
  const run = (role: string) => spawnServer(root, `dist/bundle/${role}.js`, env, label)
  const children = [run('auth-server'), run('resource-server')]
  const since = performance.now()
  await waitHealthy(`http://127.0.0.1:${auth}/healthz`, since)
  await waitHealthy(`http://127.0.0.1:${resource}/healthz`, since)
  const lab = labUrls({ auth, resource, client })
  const signedIn = await rememberConsent(agent, lab)
  const token = await userAccessToken(signedIn, lab)
  const build: Build = {
    label,
    root,
    children,
    auth,
    resource,
    authPid: children[0]!.pid!,
    resourcePid: children[1]!.pid!,
    token,
    redirect: redirectUri(lab),
    mint: (count) => mintCodes(signedIn, lab, count),
  }
  return { label, children, job: (kind) => jobFor(build, kind) }
}

interface Job {
  readonly pid: number
  readonly url: string
  readonly method: 'GET' | 'POST'
  readonly headers: Record<string, string>
  readonly body: () => string | undefined
  readonly expect: (body: string) => boolean
}

async function jobFor(build: Build, kind: Kind): Promise<Job> {
  const auth = `http://127.0.0.1:${build.auth}`
  const formHeaders = (id: string, secret: string) => ({
    authorization: basic(id, secret),
    'content-type': 'application/x-www-form-urlencoded',
  })
  const hasToken = (body: string) => body.includes('"access_token"')
  if (kind === 'cc') {
    const body = form({ grant_type: 'client_credentials', scope: 'foo bar' })
    return {
      pid: build.authPid,
      url: `${auth}/token`,
      method: 'POST',
      headers: formHeaders(CLIENT_ID, CLIENT_SECRET),
      body: () => body,
      expect: hasToken,
    }
  }
  if (kind === 'ac') {
    // Single-use codes, minted before the window opens so that minting is not counted.
    const codes = await build.mint(REQUESTS)
    const redirect = build.redirect
    return {
      pid: build.authPid,
      url: `${auth}/token`,
      method: 'POST',
      headers: formHeaders(CLIENT_ID, CLIENT_SECRET),
      body: () => form(codeGrant(codes.pop() ?? 'exhausted', redirect)),
      expect: hasToken,
    }
  }
  if (kind === 'resource') {
    return {
      pid: build.resourcePid,
      url: `http://127.0.0.1:${build.resource}/resource`,
      method: 'GET',
      headers: { authorization: `Bearer ${build.token}` },
      body: () => undefined,
      expect: () => true,
    }
  }
  const body = form({ token: build.token })
  return {
    pid: build.authPid,
    url: `${auth}/introspect`,
    method: 'POST',
    headers: formHeaders(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET),
    body: () => body,
    expect: (text) => text.includes('"active":true'),
  }
}

/** REQUESTS requests over CONNECTIONS connections; the server's CPU µs per request. */
/** PROFILE mode: the measured windows of each server (monotonic µs, the clock of a .cpuprofile). */
const windows: Array<{ label: string; pid: number; kind: Kind; startUs: number; endUs: number; requests: number }> = []
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

async function measure(job: Job, agent: Agent, record?: { label: string; kind: Kind }): Promise<number> {
  let sent = 0
  let failed = 0
  let firstError = ''
  const worker = async () => {
    while (sent < REQUESTS) {
      sent++
      const answer = await request(job.url, {
        method: job.method,
        headers: job.headers,
        body: job.body(),
        dispatcher: agent,
      })
      const text = await answer.body.text()
      if (answer.statusCode !== 200 || !job.expect(text)) {
        failed++
        firstError ||= `HTTP ${answer.statusCode} ${text.slice(0, 200)}`
      }
    }
  }
  const before = cpuNs(job.pid)
  const startUs = monotonicUs()
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  const used = cpuNs(job.pid) - before
  if (record) windows.push({ ...record, pid: job.pid, startUs, endUs: monotonicUs(), requests: REQUESTS })
  if (failed > 0) throw new Error(`${job.url}: ${failed} of ${REQUESTS} failed; first: ${firstError}`)
  return used / 1000 / REQUESTS
}

// A socket reset outside any request of ours (seen under heavy machine load,
// from no request that failed) is not a measurement error: counted, not fatal.
// A request that fails still fails its round.
let strayResets = 0
process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'ECONNRESET') throw error
  strayResets++
})

async function main(): Promise<void> {
  const specs = process.argv.slice(2)
  const pairs = (specs.length > 0 ? specs : [`this=${ROOT}`]).map((spec) => {
    const eq = spec.indexOf('=')
    return eq > 0
      ? ([spec.slice(0, eq), resolvePath(spec.slice(eq + 1))] as const)
      : ([spec, resolvePath(spec)] as const)
  })
  // Idle sockets are let go after 2 s, well before the servers' 5 s keep-alive
  // timeout: a socket the server closes just as a request goes out on it would
  // fail that request (ECONNRESET), e.g. after a pause to mint codes.
  const agent = new Agent({ connections: CONNECTIONS * 2, keepAliveTimeout: 2000, keepAliveMaxTimeout: 2000 })
  const builds: Target[] = []
  try {
    for (const [label, root] of pairs) builds.push(await startBuild(label, root, agent))
    if (process.env.CEILINGS === '1') builds.push(await startCeilings(agent))
    const results = new Map<string, number[]>()
    const load0 = loadavg()[0] ?? Number.NaN
    for (const kind of KINDS.filter((k) => ONLY.has(k))) {
      // One round unmeasured per build: the JIT warms up before anything counts.
      for (const build of builds) await measure(await build.job(kind), agent)
      for (let round = 0; round < ROUNDS; round++) {
        const jobs = await Promise.all(builds.map((build) => build.job(kind)))
        await sleep(200)
        // Every build loaded at once, each over its own connections: whatever
        // the neighbours do during the round, they do it to all builds alike.
        const used = await Promise.all(builds.map((build, i) => measure(jobs[i]!, agent, { label: build.label, kind })))
        builds.forEach((build, i) => {
          const key = `${kind} ${build.label}`
          results.set(key, [...(results.get(key) ?? []), used[i]!])
        })
        process.stderr.write(
          `${kind} round ${round + 1}: ${builds.map((b, i) => `${b.label} ${used[i]!.toFixed(1)} µs`).join(', ')}\n`,
        )
      }
    }
    const rows = KINDS.filter((k) => ONLY.has(k)).map((kind) => [
      LABELS[kind],
      ...builds.map((b, i) => {
        const samples = results.get(`${kind} ${b.label}`) ?? []
        const first = results.get(`${kind} ${builds[0]!.label}`) ?? []
        // Paired: each round's ratio to the first build, whose noise the round shares.
        const ratio = i === 0 ? '' : ` ×${median(samples.map((us, r) => us / first[r]!)).toFixed(2)}`
        return `${Math.round(median(samples))} (${Math.round(Math.min(...samples))}-${Math.round(Math.max(...samples))})${ratio}`
      }),
    ])
    process.stdout.write(
      `CPU µs per request, median of ${ROUNDS} rounds of ${REQUESTS} requests over ${CONNECTIONS} connections ` +
        `(range in brackets; ×: median of the rounds' ratios to the first build); load average ${load0.toFixed(2)} → ${(loadavg()[0] ?? Number.NaN).toFixed(2)}` +
        `${strayResets > 0 ? `; ${strayResets} stray socket resets` : ''}\n\n`,
    )
    process.stdout.write(
      `${table(['request', ...builds.map((b) => b.label)], rows, new Set(builds.map((_, i) => i + 1)))}\n`,
    )
    const ceiling = builds.find((b) => b.label === 'ceiling')
    if (ceiling) {
      // What the README's table shows as rates: the ceiling's CPU per request over the build's (per round, median).
      const labs = builds.filter((b) => b !== ceiling)
      const ratioRows = KINDS.filter((k) => ONLY.has(k)).map((kind) => [
        LABELS[kind],
        ...labs.map((b) => {
          const own = results.get(`${kind} ${b.label}`) ?? []
          const base = results.get(`${kind} ceiling`) ?? []
          return `${median(own.map((us, r) => base[r]! / us)).toFixed(2)}×`
        }),
      ])
      process.stdout.write(
        `\nceiling's CPU per request ÷ the build's (${CEILING_ROUTES}):\n\n${table(['request', ...labs.map((b) => b.label)], ratioRows, new Set(labs.map((_, i) => i + 1)))}\n`,
      )
    }
  } finally {
    // Stopped gracefully and waited for: a profile is written at exit.
    const exits = builds.flatMap((b) => b.children.map((child) => new Promise((done) => child.once('exit', done))))
    for (const build of builds) for (const child of build.children) child.kill('SIGTERM')
    await Promise.race([Promise.all(exits), sleep(10_000)])
    if (PROFILE_DIR !== undefined) writeFileSync(join(PROFILE_DIR, 'windows.json'), JSON.stringify(windows, null, 1))
    await agent.close()
  }
}

await main()
