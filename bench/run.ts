// `npm run bench`: every figure of the Performance section in one run, side
// by side on one machine, so that ratios compare like with like. The servers
// run in their own processes; this process is the load generator.
//
// Knobs (environment): BENCH_SECONDS (window, default 4), BENCH_WARMUP
// (default 1), BENCH_MEMORY_FLOWS (default 100000), BENCH_SKIP (comma list
// of phases to skip: ceilings, lab, anchors, inspector, scale, flood, memory),
// BENCH_BUDGET_SECONDS (default 290: the memory run stops when it is spent),
// BENCH_SCALE_SECONDS (window at 10 and 200 connections, default 2),
// BENCH_WORKSHOP_LEARNERS (default 50), BENCH_WORKSHOP_THINK_MS (a learner's
// pause between clicks in the paced workshop run, default 1000; the flat-out
// run has none). `npm run bench -- --only workshop` (or
// BENCH_ONLY=workshop) runs the workshop scenario alone; skip it in the full
// run with BENCH_SKIP=workshop.

import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  RESOURCE_CLIENT_ID,
  RESOURCE_CLIENT_SECRET,
  codeGrant,
  labAuthFlow,
  labBrowserFlow,
  labUrls,
  mintCodes,
  mockServerFlow,
  oidcProviderFlow,
  redirectUri,
  rememberConsent,
  userAccessToken,
  type LabUrls,
} from './flows.js'
import { benchDpopKey } from './dpop.js'
import { flood, floodTable, type FloodResult } from './flood.js'
import { basic, createAgent, form } from './http.js'
import { interleaved, mergeHalves } from './interleave.js'
import { measureFlows, measureRequests, NOISE_CORES, type Measurement, type Window } from './measure.js'
import { memoryCurve, type MemoryCurve } from './memory.js'
import { CLOCK_TICKS, rssMb } from './proc.js'
import { freePorts, ROOT, serverEnv, spawnNode, stopAll, waitHealthy, watchedProcesses, type Spawned } from './procs.js'
import { measurementTable, memoryTable, scaleTable, targetTable, workshopTable } from './report.js'
import { median } from './stats.js'
import { evaluateTargets } from './targets.js'
import { workshopScenario, type WorkshopResult } from './workshop.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1)
const MEMORY_FLOWS = Number(process.env.BENCH_MEMORY_FLOWS ?? 100_000)
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean))
/** `--only workshop` (or BENCH_ONLY=workshop): that phase alone. */
const ONLY =
  process.env.BENCH_ONLY ??
  (process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined)
const WORKSHOP_LEARNERS = Number(process.env.BENCH_WORKSHOP_LEARNERS ?? 50)
const WORKSHOP_FLOWS = 3
/** The paced run (people reading each page: a fast learner), then flat out (no pause: a stress test). */
const WORKSHOP_PACES = [Number(process.env.BENCH_WORKSHOP_THINK_MS ?? 1000), 0]
const CONNECTIONS = 50
/** `npm run bench` must finish within 5 minutes: the memory run gets what the rest leaves of this. */
const BUDGET_SECONDS = Number(process.env.BENCH_BUDGET_SECONDS ?? 290)
const SCALE_LEVELS = [10, 50, 200] as const
/** Window of the 10- and 200-connection figures. */
const SCALE_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 2)
const SCALED = ['lab.token.cc', 'lab.resource', 'lab.flow'] as const
/** `npm start` is timed this many times; the median is the figure. */
const STARTS = 3
/** How often the bench asks each /healthz while a lab starts: often enough to be exact, seldom enough not to slow it. */
const HEALTH_POLL_MS = 20
/** Codes redeemed before the authorization_code window: its warm-up. */
const AC_WARM_CODES = 3000
/** Passes of an interleaved group of single requests: four windows of 1.25 s each per figure (A B B A A B B A). */
const REQUEST_PASSES = 4
/** The second, warm pass of an interleaved group of flows: time for the simulated browsers to be mid-flow again. */
const FLOW_REWARM_SECONDS = 0.5

const window: Window = { seconds: SECONDS, warmupSeconds: WARMUP, watched: watchedProcesses }
// Enough sockets per origin for the largest number of simulated browsers.
const agent = createAgent(256)
const measurements: Measurement[] = []

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`)
}

function keep(m: Measurement): Measurement {
  measurements.push(m)
  const flags = [
    m.noisy ? `noisy: other processes used ${m.cpu.otherCores} cores` : '',
    m.failed ? `${m.failed} failed: ${m.firstError}` : '',
  ]
  log(
    `${m.label} @${m.connections}: ${Math.round(m.rate)} ${m.unit}, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms ${flags.filter(Boolean).join('; ')}`,
  )
  return m
}

/** When `npm run bench` began: the start of this process's parent shell (it ran the build first), else our own. */
function benchStartedAt(): number {
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8')
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    if (comm !== 'sh' && comm !== 'bash' && comm !== 'dash') throw new Error('not started by npm')
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    return Date.now() - (uptime - startTicks / CLOCK_TICKS) * 1000
  } catch {
    return Date.now() - performance.now()
  }
}

interface Lab {
  readonly process: Spawned
  readonly urls: LabUrls
  readonly ports: { auth: number; resource: number; client: number }
  /** ms from spawn until every /healthz answered 200 (bench's polls), and the launcher's own "up in" figure. */
  readonly healthyMs: number
  readonly upLineMs: number | undefined
}

/** `node dist/start.js`, exactly what `npm start` runs, on free ports. */
async function startLab(name: string, inspector: 'on' | 'off', vars: Record<string, string> = {}): Promise<Lab> {
  const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
  const env = serverEnv({
    AUTH_PORT: String(auth),
    RESOURCE_PORT: String(resource),
    CLIENT_PORT: String(client),
    INSPECTOR: inspector,
    ...vars,
  })
  const launcher = spawnNode(name, 'dist/start.js', env)
  // Awaited together: a child that dies fails the launcher's line at once instead of a long poll.
  const [, ...healthy] = await Promise.all([
    launcher.waitForLine(/oauth-lab is up in \d+ ms/, 15_000),
    ...[auth, resource, client].map((port) =>
      waitHealthy(`http://127.0.0.1:${port}/healthz`, launcher.startedAt, 15_000, HEALTH_POLL_MS),
    ),
  ])
  const up = launcher.output.map((line) => /oauth-lab is up in (\d+) ms/.exec(line)?.[1]).find(Boolean)
  return {
    process: launcher,
    urls: labUrls({ auth, resource, client }),
    ports: { auth, resource, client },
    healthyMs: Math.max(...healthy),
    upLineMs: up === undefined ? undefined : Number(up),
  }
}

function idleRss(lab: Lab): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [label, pid] of lab.process.pids()) {
    const mb = rssMb(pid)
    if (mb !== undefined) out[label] = Math.round(mb * 10) / 10
  }
  return out
}

/** One server on a free port, given in `portVar`, once `readyPath` answers. */
async function startServer(
  name: string,
  script: string,
  vars: Record<string, string>,
  readyPath: string,
  portVar = 'PORT',
): Promise<{ server: Spawned; url: string }> {
  const [port] = (await freePorts(1)) as [number]
  const server = spawnNode(name, script, serverEnv({ [portVar]: String(port), ...vars }))
  await waitHealthy(`http://127.0.0.1:${port}${readyPath}`, server.startedAt)
  return { server, url: `http://localhost:${port}` }
}

const tokenHeaders = {
  authorization: basic(CLIENT_ID, CLIENT_SECRET),
  'content-type': 'application/x-www-form-urlencoded',
}
const ccBody = form({ grant_type: 'client_credentials', scope: 'foo bar' })
const local = (url: string) => url.replace('//localhost:', '//127.0.0.1:')

function tokenCc(id: string, label: string, url: string, connections = CONNECTIONS, within = window) {
  return measureRequests(
    { id, label, url: local(url), method: 'POST', headers: tokenHeaders, body: ccBody, connections },
    within,
  )
}

function resourceRun(lab: Lab, token: string, connections = CONNECTIONS, within = window) {
  return measureRequests(
    {
      id: 'lab.resource',
      label: 'oauth-lab GET /resource (ES256 JWT)',
      url: local(`${lab.urls.resource}/resource`),
      headers: { authorization: `Bearer ${token}` },
      connections,
    },
    within,
  )
}

// DPoP (RFC 9449): the same requests with a fresh proof each, beside the Bearer ones in the same groups.
const dpopKey = benchDpopKey()
/** Proofs signed ahead of a window: more than the fastest endpoint answers in the window and its warm-up. */
const proofCount = (w: Window) => Math.ceil(12_000 * (w.seconds + w.warmupSeconds))

/**
 * POST client_credentials with a fresh DPoP proof per request, signed ahead of
 * the window: the lab's token endpoint, or its floor (bare Fastify verifying
 * one proof and signing one token, RFC 9449 §5), measured the same way.
 */
function dpopTokenRun(id: string, label: string, url: string, within: Window) {
  const next = dpopKey.pool('POST', url, proofCount(within))
  return measureRequests(
    {
      id,
      label,
      url: local(url),
      method: 'POST',
      headers: tokenHeaders,
      body: ccBody,
      connections: CONNECTIONS,
      nextHeaders: () => ({ dpop: next() }),
    },
    within,
  )
}

/** A client_credentials token bound to the bench's DPoP key. */
async function dpopBoundToken(lab: Lab): Promise<string> {
  const url = `${lab.urls.auth}/token`
  const answer = await fetch(local(url), {
    method: 'POST',
    headers: { ...tokenHeaders, dpop: dpopKey.proof('POST', url) },
    body: ccBody,
  })
  return ((await answer.json()) as { access_token: string }).access_token
}

/**
 * GET with a DPoP-bound token and a fresh proof (with ath) per request: the
 * lab's resource, or its floor (bare Fastify verifying the token and the
 * proof, RFC 9449 §7), measured the same way.
 */
function dpopResourceRun(id: string, label: string, url: string, token: string, within: Window) {
  const next = dpopKey.pool('GET', url, proofCount(within), token)
  return measureRequests(
    {
      id,
      label,
      url: local(url),
      headers: { authorization: `DPoP ${token}` },
      connections: CONNECTIONS,
      nextHeaders: () => ({ dpop: next() }),
    },
    within,
  )
}

function flowRun(lab: Lab, workers = CONNECTIONS, within = window) {
  return measureFlows(
    {
      id: 'lab.flow',
      label: 'oauth-lab full flow, 7 steps (browser)',
      workers,
      flow: () => labBrowserFlow(agent, lab.urls),
    },
    within,
  )
}

/** The workshop scenario against a fresh `npm start` with WORKSHOP=on. */
async function workshopRun(thinkMs: number): Promise<WorkshopResult> {
  // The teacher's page needs the lab key: given to the lab rather than read from its output.
  const labKey = randomBytes(32).toString('base64url')
  const target = await startLab('oauth-lab (WORKSHOP=on)', 'on', { WORKSHOP: 'on', LAB_KEY: labKey })
  // The learners' open streams (and the teacher's) hold connections of their own.
  const streams = createAgent(WORKSHOP_LEARNERS + 8)
  try {
    log(
      `workshop: ${WORKSHOP_LEARNERS} learners join, follow their inspector and run ${WORKSHOP_FLOWS} flows each (${paceOf(thinkMs)}); a teacher's page follows the room`,
    )
    return await workshopScenario({
      agent,
      streamAgent: streams,
      urls: target.urls,
      learners: WORKSHOP_LEARNERS,
      flowsEach: WORKSHOP_FLOWS,
      thinkMs,
      rss: () => idleRss(target),
      labKey,
    })
  } finally {
    await target.process.stop()
    await streams.close()
  }
}

const paceOf = (thinkMs: number) =>
  thinkMs > 0 ? `${thinkMs / 1000} s on average between a learner's clicks` : 'flat out: no pause between clicks'

/** Both paces, one after the other, each against a fresh lab. */
async function workshopRuns(): Promise<WorkshopResult[]> {
  const results: WorkshopResult[] = []
  for (const thinkMs of WORKSHOP_PACES) results.push(await workshopRun(thinkMs))
  return results
}

function workshopReport(result: WorkshopResult): string {
  return [
    `Workshop, ${paceOf(result.thinkMs)} (WORKSHOP=on, a fresh \`npm start\`): ${result.learners} learners joined (POST /join p50 ${Math.round(result.join.p50Ms)} ms, p95 ${Math.round(result.join.p95Ms)} ms), each followed its inspector live (/flow/events) and ran ${result.flowsEach} flows, all at once: ${result.seconds.toFixed(1)} s, ${result.events} pushed sections, ${result.failed} failed${result.firstError === undefined ? '' : ` (${result.firstError})`}. Inspector: from the step's response to the learner's event that shows it.`,
    workshopTable(result),
    ...(result.teacher === undefined
      ? []
      : [
          `Teacher's page (/teacher/events, lab key): ${result.teacher.events} grid events; from a flow's step 7 response to the grid showing that learner at step 7: p50 ${Math.round(result.teacher.p50Ms)} ms, p95 ${Math.round(result.teacher.p95Ms)} ms, ${result.teacher.missed} not shown.`,
        ]),
    `RSS at the end (MB): ${Object.entries(result.rssMb)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ].join('\n')
}

/** `--only workshop`: the scenario alone, printed and written to bench-results/workshop.json. */
async function workshopOnly(): Promise<void> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')
  log(`load average at start: ${load()}`)
  const result = await workshopRuns()
  process.stdout.write(
    `${result.map(workshopReport).join('\n\n')}\nLoad average at the end: ${load()} (${cpus().length} cores)\n`,
  )
  const dir = join(ROOT, 'bench-results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'workshop.json'),
    `${JSON.stringify({ started: new Date().toISOString(), loadavg: loadavg(), workshop: result }, null, 2)}\n`,
  )
  log('wrote bench-results/workshop.json')
}

async function main(): Promise<void> {
  if (ONLY === 'workshop') return workshopOnly()
  if (ONLY !== undefined) throw new Error(`--only ${ONLY}: only the workshop scenario runs alone`)
  const startedAt = benchStartedAt()
  const started = new Date()
  log(
    `${SECONDS} s windows after ${WARMUP} s warm-up; ${CONNECTIONS} connections; other processes above ${NOISE_CORES} cores mark a window noisy`,
  )
  log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )

  // ---- start-up and idle memory: `npm start` as a user runs it. Started
  // STARTS times, the last one kept: start-up varies with the machine's
  // moment, so the median is the figure. fetch is loaded here first: loading
  // it in this process (0.1 s of CPU) would compete with the servers booting.
  await fetch('http://127.0.0.1:9/').catch(() => undefined)
  const startups: number[] = []
  for (let i = 1; i < STARTS; i++) {
    const trial = await startLab('oauth-lab', 'on')
    startups.push(trial.healthyMs)
    await trial.process.stop()
  }
  const lab = await startLab('oauth-lab', 'on')
  startups.push(lab.healthyMs)
  const healthyMs = median(startups)
  log(
    `oauth-lab healthy ${startups.map((ms) => Math.round(ms)).join(', ')} ms after spawn: median ${Math.round(healthyMs)} (launcher says up in ${lab.upLineMs} ms the last time)`,
  )
  await sleep(1000)
  const rssAfterStart = idleRss(lab)
  log(`idle RSS after start: ${JSON.stringify(rssAfterStart)}`)

  // ---- every server a comparison needs, started up front (idle ones take no CPU)
  const ceilings = SKIP.has('ceilings')
    ? undefined
    : await startServer('ceilings', 'dist-bench/servers/ceilings.js', {}, '/healthz')
  const redirect = redirectUri(lab.urls)
  const oidcVars = { RESOURCE_URL: lab.urls.resource, REDIRECT_URI: redirect }
  const anchors = SKIP.has('anchors')
    ? undefined
    : {
        oidc: await startServer(
          'oidc-provider',
          'dist-bench/servers/oidc-provider.js',
          { ...oidcVars, REMEMBER_CONSENT: 'on' },
          '/.well-known/openid-configuration',
        ),
        mock: await startServer(
          'oauth2-mock-server',
          'dist-bench/servers/mock-server.js',
          {},
          '/.well-known/openid-configuration',
        ),
      }
  const signedIn = await rememberConsent(agent, lab.urls)
  const userToken = await userAccessToken(signedIn, lab.urls)
  const withLab = !SKIP.has('lab')
  const keepAll = (group: Measurement[]) => group.forEach(keep)

  // ---- token endpoints: the ceilings, oauth-lab and the anchors, interleaved
  keepAll(
    await interleaved(
      [
        ...(ceilings
          ? [
              (w: Window) =>
                tokenCc('ceiling.form', 'ceiling: Fastify form + Basic', `${ceilings.url}/form`, CONNECTIONS, w),
              (w: Window) =>
                tokenCc('ceiling.sign', 'ceiling: + ES256 JWT sign', `${ceilings.url}/sign`, CONNECTIONS, w),
              (w: Window) =>
                dpopTokenRun(
                  'ceiling.sign.verify',
                  'ceiling: + ES256 JWT sign + ES256 proof verify',
                  `${ceilings.url}/sign-verify`,
                  w,
                ),
            ]
          : []),
        ...(withLab
          ? [
              (w: Window) =>
                tokenCc(
                  'lab.token.cc',
                  'oauth-lab POST /token client_credentials',
                  `${lab.urls.auth}/token`,
                  CONNECTIONS,
                  w,
                ),
              (w: Window) =>
                dpopTokenRun(
                  'lab.token.cc.dpop',
                  'oauth-lab POST /token client_credentials + DPoP proof',
                  `${lab.urls.auth}/token`,
                  w,
                ),
            ]
          : []),
        ...(anchors
          ? [
              (w: Window) =>
                tokenCc(
                  'oidc.token.cc',
                  'oidc-provider 8.8.1 client_credentials',
                  `${anchors.oidc.url}/token`,
                  CONNECTIONS,
                  w,
                ),
              (w: Window) =>
                tokenCc(
                  'mock.token.cc',
                  'oauth2-mock-server 8.2.3 client_credentials',
                  `${anchors.mock.url}/token`,
                  CONNECTIONS,
                  w,
                ),
            ]
          : []),
      ],
      window,
      { passes: REQUEST_PASSES },
    ),
  )

  // ---- verifying a token: the ceiling and the resource server, interleaved
  const dpopToken = withLab ? await dpopBoundToken(lab) : ''
  let ceilingToken = ''
  if (ceilings) {
    const signed = await fetch(local(`${ceilings.url}/sign`), { method: 'POST', headers: tokenHeaders, body: ccBody })
    ceilingToken = ((await signed.json()) as { access_token: string }).access_token
  }
  keepAll(
    await interleaved(
      [
        ...(ceilings
          ? [
              (w: Window) =>
                measureRequests(
                  {
                    id: 'ceiling.verify',
                    label: 'ceiling: Fastify GET + ES256 jwtVerify',
                    url: local(`${ceilings.url}/verify`),
                    headers: { authorization: `Bearer ${ceilingToken}` },
                    connections: CONNECTIONS,
                  },
                  w,
                ),
              (w: Window) =>
                dpopResourceRun(
                  'ceiling.verify.proof',
                  'ceiling: Fastify GET + 2 ES256 jwtVerify (token, proof)',
                  `${ceilings.url}/verify-proof`,
                  ceilingToken,
                  w,
                ),
            ]
          : []),
        ...(withLab
          ? [
              (w: Window) => resourceRun(lab, userToken, CONNECTIONS, w),
              (w: Window) =>
                dpopResourceRun(
                  'lab.resource.dpop',
                  'oauth-lab GET /resource (ES256 JWT + DPoP proof)',
                  `${lab.urls.resource}/resource`,
                  dpopToken,
                  w,
                ),
            ]
          : []),
      ],
      window,
      { passes: REQUEST_PASSES },
    ),
  )
  // ---- redeeming codes beside the sign ceiling (interleaved: the ratio's two sides see the same machine), then introspection
  if (withLab) {
    // Codes are single-use and live 60 s: made just before. Redeeming one costs
    // more than a client_credentials request, so 80% of that rate fills the
    // window (if they run out first, the window is shorter: the rate holds),
    // plus a warm-up's worth, spent first as every other figure's warm-up is.
    const ccRate = measurements.find((m) => m.id === 'lab.token.cc')?.rate ?? 1000
    const wanted = Math.ceil(Math.max(ccRate, 1000) * SECONDS * 0.8) + AC_WARM_CODES
    const mintStart = performance.now()
    const codes = await mintCodes(signedIn, lab.urls, wanted)
    log(`minted ${codes.length} codes in ${((performance.now() - mintStart) / 1000).toFixed(1)} s`)
    const redeem = {
      url: local(`${lab.urls.auth}/token`),
      method: 'POST' as const,
      headers: tokenHeaders,
      connections: CONNECTIONS,
      nextBody: () => form(codeGrant(codes.pop() ?? 'exhausted', redirect)),
      noWarmup: true,
    }
    await measureRequests({ id: 'warm-up', label: 'warm-up', ...redeem, maxRequests: AC_WARM_CODES }, window)
    // Each window may redeem what is left; the codes were made for all of them together.
    const redeemRun = (w: Window) =>
      measureRequests(
        { id: 'lab.token.ac', label: 'oauth-lab POST /token authorization_code', ...redeem, maxRequests: codes.length },
        w,
      )
    keepAll(
      await interleaved(
        [
          ...(ceilings
            ? [
                (w: Window) =>
                  tokenCc(
                    'ceiling.sign.ac',
                    'ceiling: + ES256 JWT sign (beside authorization_code)',
                    `${ceilings.url}/sign`,
                    CONNECTIONS,
                    w,
                  ),
              ]
            : []),
          redeemRun,
        ],
        window,
        { passes: REQUEST_PASSES },
      ),
    )
    keep(
      await measureRequests(
        {
          id: 'lab.introspect',
          label: 'oauth-lab POST /introspect',
          url: local(`${lab.urls.auth}/introspect`),
          method: 'POST',
          headers: {
            authorization: basic(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form({ token: userToken }),
          connections: CONNECTIONS,
        },
        window,
      ),
    )
  }

  await ceilings?.server.stop()

  // ---- whole flows, interleaved. lab.authflow takes the same steps as the
  // oidc-provider anchor's flow (a fresh browser signs in, remembered consent,
  // code, token) at the authorization server alone: the like-for-like
  // comparison; lab.flow adds the client app and step 7.
  keepAll(
    await interleaved(
      [
        ...(withLab
          ? [
              (w: Window) => flowRun(lab, CONNECTIONS, w),
              (w: Window) =>
                measureFlows(
                  {
                    id: 'lab.authflow',
                    label: 'oauth-lab flow at the AS: login, remembered consent, token',
                    workers: CONNECTIONS,
                    flow: () => labAuthFlow(agent, lab.urls),
                  },
                  w,
                ),
            ]
          : []),
        ...(anchors
          ? [
              (w: Window) =>
                measureFlows(
                  {
                    id: 'oidc.flow.remembered',
                    label: 'oidc-provider flow: login, remembered consent, token',
                    workers: CONNECTIONS,
                    flow: () => oidcProviderFlow(agent, anchors.oidc.url, redirect),
                  },
                  w,
                ),
              (w: Window) =>
                measureFlows(
                  {
                    id: 'mock.flow',
                    label: 'oauth2-mock-server flow: authorize, token',
                    workers: CONNECTIONS,
                    flow: () => mockServerFlow(agent, anchors.mock.url, redirect),
                  },
                  w,
                ),
            ]
          : []),
      ],
      window,
      { rewarmSeconds: FLOW_REWARM_SECONDS },
    ),
  )
  if (anchors) {
    await anchors.oidc.server.stop()
    await anchors.mock.server.stop()
    // With its consent page every time: no oauth-lab figure to compare, so alone.
    const consent = await startServer(
      'oidc-provider',
      'dist-bench/servers/oidc-provider.js',
      { ...oidcVars, REMEMBER_CONSENT: 'off' },
      '/.well-known/openid-configuration',
    )
    keep(
      await measureFlows(
        {
          id: 'oidc.flow.consent',
          label: 'oidc-provider flow: login, consent page, token',
          workers: CONNECTIONS,
          flow: () => oidcProviderFlow(agent, consent.url, redirect),
        },
        window,
      ),
    )
    await consent.server.stop()
  }

  // ---- the flow inspector's cost: fresh authorization servers with it on and
  // off, interleaved. Two of each: on this machine two processes running the
  // same code differ in speed by themselves, by as much as the recording costs.
  let inspector: { onRate: number; offRate: number } | undefined
  if (!SKIP.has('inspector')) {
    const modes = ['on', 'off', 'off', 'on'] as const
    // The authorization server alone, from its bundle as `npm start` runs it.
    const servers = await Promise.all(
      modes.map((mode, i) =>
        startServer(
          `auth-server (INSPECTOR=${mode}) ${i + 1}`,
          'dist/bundle/auth-server.js',
          { INSPECTOR: mode },
          '/healthz',
          'AUTH_PORT',
        ),
      ),
    )
    const figures = servers.map(
      ({ url }, i) =>
        (w: Window) =>
          tokenCc(
            `lab.token.cc.inspector-${modes[i]}`,
            `oauth-lab /token client_credentials, INSPECTOR=${modes[i]}`,
            `${url}/token`,
            CONNECTIONS,
            w,
          ),
    )
    const [on1, off1, off2, on2] = await interleaved(
      figures,
      { ...window, seconds: window.seconds / 2 },
      { passes: REQUEST_PASSES / 2 },
    )
    if (!on1 || !off1 || !off2 || !on2) throw new Error('the inspector comparison needs one figure per server (4)')
    const onM = mergeHalves(on1, on2)
    const offM = mergeHalves(off1, off2)
    keepAll([onM, offM])
    inspector = { onRate: onM.rate, offRate: offM.rate }
    await Promise.all(servers.map(({ server }) => server.stop()))
  }

  // ---- scale: 10 and 200 connections (50 is above), in shorter windows so
  // that the memory run below still reaches its 100,000 flows in 5 minutes
  if (!SKIP.has('scale')) {
    const scaleWindow: Window = { ...window, seconds: SCALE_SECONDS }
    for (const connections of SCALE_LEVELS.filter((c) => c !== CONNECTIONS)) {
      keep(
        await tokenCc(
          'lab.token.cc',
          'oauth-lab POST /token client_credentials',
          `${lab.urls.auth}/token`,
          connections,
          scaleWindow,
        ),
      )
      keep(await resourceRun(lab, userToken, connections, scaleWindow))
      keep(await flowRun(lab, connections, scaleWindow))
    }
  }
  await sleep(1000)
  const rssAfterLoad = idleRss(lab)
  log(`idle RSS after load: ${JSON.stringify(rssAfterLoad)}`)
  await lab.process.stop()

  // ---- flood: an anonymous attacker's traffic against a fresh `npm start`
  // (about 25 s, taken from the memory run's share of the budget)
  let flooded: FloodResult | undefined
  if (!SKIP.has('flood')) {
    const target = await startLab('oauth-lab', 'on')
    try {
      flooded = await flood({ urls: target.urls, rss: () => idleRss(target) })
    } finally {
      await target.process.stop()
    }
    log(`flood: done in ${flooded.seconds.toFixed(0)} s\n${floodTable(flooded)}`)
  }

  // ---- workshop: learners with their live inspectors, against a fresh WORKSHOP=on lab
  const workshop = SKIP.has('workshop') ? undefined : await workshopRuns()
  if (workshop) log(`workshop: done\n${workshop.map(workshopReport).join('\n\n')}`)

  // ---- memory over 100,000 flows
  let memory: MemoryCurve | undefined
  if (!SKIP.has('memory')) {
    log(`memory: ${MEMORY_FLOWS} flows against a fresh authorization server`)
    // Whatever is left of the 5-minute budget (build included), never less than 30 s: the curve shows how far it got.
    const maxSeconds = Math.max(30, BUDGET_SECONDS - (Date.now() - startedAt) / 1000)
    memory = await memoryCurve(agent, {
      flows: MEMORY_FLOWS,
      sampleEvery: Math.max(1, Math.round(MEMORY_FLOWS / 20)),
      workers: 32,
      maxSeconds,
    })
    if (memory.flows < MEMORY_FLOWS)
      log(
        `memory: stopped by the time budget after ${memory.flows} flows; ${MEMORY_FLOWS} would take ${Math.round(MEMORY_FLOWS / memory.flowsPerSecond)} s at this rate`,
      )
    log(
      `memory: ${memory.flows} flows in ${memory.seconds.toFixed(0)} s (${Math.round(memory.serverCpuUsPerFlow)} µs auth-server CPU per flow, other processes ${memory.otherCores} cores), ${memory.startMb.toFixed(0)} → ${memory.endMb.toFixed(0)} MB`,
    )
  }

  const benchSeconds = (Date.now() - startedAt) / 1000
  const targets = evaluateTargets({
    measurements: measurements.filter((m) => m.connections === CONNECTIONS),
    healthyMs,
    idleRssMb: rssAfterStart,
    memory,
    benchSeconds,
  })
  const at50 = measurements.filter((m) => m.connections === CONNECTIONS && !m.id.includes('inspector'))
  const noisy = measurements.some((m) => m.noisy)
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtStart: loadavg(),
  }

  const out: string[] = []
  out.push(
    `oauth-lab benchmark, ${started.toISOString()} — ${machine.cpus} × ${machine.model}, Node ${machine.node}; load generator on the same machine`,
  )
  out.push(
    `${SECONDS} s per figure after ${WARMUP} s warm-up, ${CONNECTIONS} connections (or simulated browsers for flows); servers with LOG_LEVEL=warn`,
  )
  out.push(
    `Figures that are compared ran interleaved (A B … B A A B … B A for requests, ${REQUEST_PASSES} windows of ${SECONDS / REQUEST_PASSES} s each; A B … B A for flows, two of ${SECONDS / 2} s), so that the machine's drifting speed weighs on both sides alike`,
  )
  out.push('')
  out.push(measurementTable(at50))
  out.push('')
  out.push(`Scale (rate, p99 ms; * = noisy; ${SCALE_SECONDS} s windows at 10 and 200):`)
  out.push(scaleTable(measurements, SCALED, SCALE_LEVELS))
  out.push('')
  if (inspector) {
    out.push(
      `Flow inspector: token endpoint ${Math.round(inspector.offRate)} req/s off, ${Math.round(inspector.onRate)} req/s on (measured back to back)`,
    )
  }
  out.push(
    `Start-up: all three /healthz answer ${Math.round(healthyMs)} ms (median of ${startups.map((ms) => Math.round(ms)).join(', ')}) after spawning node dist/start.js (the last one printed "up in ${lab.upLineMs} ms")`,
  )
  out.push(
    `Idle RSS after start (MB): ${Object.entries(rssAfterStart)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  out.push(
    `Idle RSS after the load (MB): ${Object.entries(rssAfterLoad)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  if (memory) {
    out.push('')
    out.push(
      `Memory of the authorization server over ${memory.flows.toLocaleString('en-US')} of ${MEMORY_FLOWS.toLocaleString('en-US')} flows in ${memory.seconds.toFixed(0)} s (${Math.round(memory.flowsPerSecond)} flows/s, ${Math.round(memory.serverCpuUsPerFlow)} µs of its CPU per flow; codes, sessions and tokens living ${memory.ttlSeconds} s):`,
    )
    out.push(memoryTable(memory))
  }
  if (flooded) {
    out.push('')
    out.push(
      `Flood of a fresh \`npm start\` (anonymous traffic, 127.0.0.1, ${flooded.seconds.toFixed(0)} s; RSS of each server after each step):`,
    )
    out.push(floodTable(flooded))
  }
  for (const result of workshop ?? []) {
    out.push('')
    out.push(workshopReport(result))
  }
  out.push('')
  out.push(dpopLine(measurements))
  out.push('')
  out.push(targetTable(targets))
  out.push('')
  out.push(
    noisy
      ? `NOISY RUN: other processes used more than ${NOISE_CORES} cores during ${measurements.filter((m) => m.noisy).length} of ${measurements.length} windows (see "other CPU"); ratios hold better than absolute rates, but rerun on a quiet machine.`
      : 'Quiet run: no other process used more than a tenth of a core during any window.',
  )
  out.push(`Bench duration: ${benchSeconds.toFixed(0)} s (npm run bench, build included)`)
  process.stdout.write(`${out.join('\n')}\n`)

  const dir = join(ROOT, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const json = {
    started: started.toISOString(),
    machine,
    settings: { seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, noiseCores: NOISE_CORES },
    noisy,
    benchSeconds,
    startup: { healthyMs, runsMs: startups, upLineMs: lab.upLineMs },
    idleRssMb: { afterStart: rssAfterStart, afterLoad: rssAfterLoad },
    inspector,
    measurements,
    memory,
    flood: flooded,
    workshop,
    targets,
    dpopOverBearer: dpopRatios(measurements),
  }
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`)
  log(`wrote bench-results/latest.json`)
}

try {
  await main()
} finally {
  await stopAll()
  await agent.close()
}

interface DpopRatios {
  readonly token?: number
  readonly resource?: number
  /** Each against its own ceiling: DPoP's (one more ES256 verification) and Bearer's. */
  readonly ceilings: {
    readonly dpopToken?: number
    readonly bearerToken?: number
    readonly dpopResource?: number
    readonly bearerResource?: number
  }
}

/**
 * DPoP over Bearer, each pair measured interleaved in one group: what a proof
 * costs each server. Beside it, each side over its own ceiling: the issue's
 * goal is that DPoP costs at most one extra signature verification, i.e. that
 * DPoP ÷ (sign + verify ceiling) is no lower than Bearer ÷ (sign ceiling).
 */
function dpopRatios(all: readonly Measurement[]): DpopRatios {
  const rate = (id: string) => all.find((m) => m.id === id)?.rate
  const over = (a: string, b: string) => {
    const [x, y] = [rate(a), rate(b)]
    return x === undefined || y === undefined || y === 0 ? undefined : x / y
  }
  return {
    token: over('lab.token.cc.dpop', 'lab.token.cc'),
    resource: over('lab.resource.dpop', 'lab.resource'),
    ceilings: {
      dpopToken: over('lab.token.cc.dpop', 'ceiling.sign.verify'),
      bearerToken: over('lab.token.cc', 'ceiling.sign'),
      dpopResource: over('lab.resource.dpop', 'ceiling.verify.proof'),
      bearerResource: over('lab.resource', 'ceiling.verify'),
    },
  }
}

function dpopLine(all: readonly Measurement[]): string {
  const { token, resource, ceilings: c } = dpopRatios(all)
  const show = (r: number | undefined) => (r === undefined ? '—' : `${r.toFixed(2)}×`)
  return [
    `DPoP ÷ Bearer (same groups, interleaved): POST /token client_credentials ${show(token)}, GET /resource ${show(resource)}`,
    `Each over its own ceiling (DPoP's does one more ES256 verification): POST /token DPoP ÷ (sign + verify) ${show(c.dpopToken)} beside Bearer ÷ (sign) ${show(c.bearerToken)}; GET /resource DPoP ÷ (2 verify) ${show(c.dpopResource)} beside Bearer ÷ (1 verify) ${show(c.bearerResource)}`,
  ].join('\n')
}
