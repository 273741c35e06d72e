// The flood phase: what an anonymous attacker's traffic does to the three
// servers of a default `npm start`. Resident memory of each before and after
// (a) cookie-less GET /authorize by the ten thousand (each once stored a
// session), (b) requests with a 1 MiB body, (c) connections that send headers
// and part of a body and then stall. All to 127.0.0.1; every step bounded by
// a count and a deadline, so the phase fits its share of the 5-minute bench.

import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { Agent, request } from 'undici'
import { authorizeUrl, CLIENT_ID, CLIENT_SECRET, redirectUri, type LabUrls } from './flows.js'
import { basic } from './http.js'
import { table } from './report.js'
import { median } from './stats.js'

export interface FloodOptions {
  readonly anonymousRequests: number
  readonly bodyRequests: number
  readonly bodyBytes: number
  readonly stalledConnections: number
  /** Deadlines of the three steps (a), (b), (c), in seconds. */
  readonly anonymousSeconds: number
  readonly bodySeconds: number
  readonly stallSeconds: number
}

export const FLOOD_DEFAULTS: FloodOptions = {
  anonymousRequests: 40_000,
  bodyRequests: 2_000,
  bodyBytes: 1024 * 1024,
  stalledConnections: 300,
  anonymousSeconds: 10,
  bodySeconds: 6,
  stallSeconds: 5,
}

/** RSS in MB of each role, by label (auth-server, resource-server, client). */
export type RssByRole = Record<string, number>

export interface StepCount {
  readonly sent: number
  readonly seconds: number
  /** Answers by HTTP status, and failures by error code ('ECONNRESET', …). */
  readonly outcomes: Record<string, number>
  /** Stopped by the step's deadline before the count was reached. */
  readonly stoppedByDeadline: boolean
}

export interface StallResult {
  readonly connections: number
  /** How long the phase waited at most before closing the rest itself. */
  readonly waitSeconds: number
  /** Connections the server closed (or answered) within the wait, and when. */
  readonly closedByServer: number
  readonly heldSecondsMedian: number | undefined
  readonly heldSecondsMax: number | undefined
  /** Still open when the wait ended: held at least `waitSeconds`. */
  readonly stillOpen: number
  readonly byTarget: Record<string, { readonly closedByServer: number; readonly stillOpen: number }>
}

export interface FloodResult {
  readonly rssMb: {
    readonly before: RssByRole
    readonly afterAnonymous: RssByRole
    readonly afterBodies: RssByRole
    readonly afterStalls: RssByRole
  }
  readonly anonymous: StepCount
  readonly bodies: Record<string, StepCount>
  readonly stalls: StallResult
  readonly seconds: number
}

/** The lab under attack: its URLs, and its servers' RSS read from /proc. */
export interface FloodTarget {
  readonly urls: LabUrls
  readonly rss: () => RssByRole
}

const local = (url: string) => url.replace('//localhost:', '//127.0.0.1:')
const count = (outcomes: Record<string, number>, key: string) => (outcomes[key] = (outcomes[key] ?? 0) + 1)
/** Time for the servers to finish what is in flight before RSS is read. */
const SETTLE_MS = 500

/** (a): cookie-less GET /authorize, each answered with the login page (and, before the fix, a stored session). */
async function anonymousAuthorize(urls: LabUrls, options: FloodOptions): Promise<StepCount> {
  const url = new URL(local(authorizeUrl(`${urls.auth}/authorize`, redirectUri(urls), 'flood')))
  const outcomes: Record<string, number> = {}
  const startedAt = performance.now()
  let stoppedByDeadline = false
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.origin,
        requests: [{ method: 'GET', path: `${url.pathname}${url.search}` }],
        connections: 50,
        amount: options.anonymousRequests,
        timeout: 5,
      },
      (error: unknown, done) =>
        error ? reject(error instanceof Error ? error : new Error('autocannon failed')) : resolve(done),
    )
    const timer = setTimeout(() => {
      stoppedByDeadline = true
      instance.stop()
    }, options.anonymousSeconds * 1000)
    instance.on('done', () => clearTimeout(timer))
  })
  for (const [status, n] of Object.entries(result.statusCodeStats ?? {})) outcomes[status] = n.count ?? 0
  if (result.errors > 0) outcomes.errors = result.errors
  if (result.timeouts > 0) outcomes.timeouts = result.timeouts
  return {
    sent: Object.values(outcomes).reduce((sum, n) => sum + n, 0),
    seconds: (performance.now() - startedAt) / 1000,
    outcomes,
    stoppedByDeadline,
  }
}

interface BodyTarget {
  readonly name: string
  readonly url: string
  readonly headers: Record<string, string>
}

function bodyTargets(urls: LabUrls): BodyTarget[] {
  const formType = { 'content-type': 'application/x-www-form-urlencoded' }
  return [
    {
      name: 'auth POST /token',
      url: `${urls.auth}/token`,
      headers: { ...formType, authorization: basic(CLIENT_ID, CLIENT_SECRET) },
    },
    { name: 'auth POST /login', url: `${urls.auth}/login`, headers: formType },
    { name: 'client POST /fetch-resource', url: `${urls.client}/fetch-resource`, headers: formType },
  ].map((t) => ({ ...t, url: local(t.url) }))
}

/** (b): `bodyRequests` requests with a 1 MiB form body, a third to each target, 8 at a time per target. */
async function largeBodies(urls: LabUrls, options: FloodOptions): Promise<Record<string, StepCount>> {
  const body = Buffer.alloc(options.bodyBytes, 'a')
  body.write('x=')
  const deadline = performance.now() + options.bodySeconds * 1000
  // Its own sockets, closed at the end: a server that stops reading cannot hold the bench.
  const agent = new Agent({ connections: 8, headersTimeout: 5000, bodyTimeout: 5000 })
  const perTarget = Math.ceil(options.bodyRequests / 3)
  try {
    const results = await Promise.all(
      bodyTargets(urls).map(async (target) => {
        const outcomes: Record<string, number> = {}
        const startedAt = performance.now()
        let next = 0
        const worker = async () => {
          while (next < perTarget && performance.now() < deadline) {
            next++
            try {
              const response = await request(target.url, {
                method: 'POST',
                headers: target.headers,
                body,
                dispatcher: agent,
                signal: AbortSignal.timeout(5000),
              })
              await response.body.dump()
              count(outcomes, String(response.statusCode))
            } catch (error) {
              count(outcomes, errorName(error))
            }
          }
        }
        await Promise.all(Array.from({ length: 8 }, worker))
        const step: StepCount = {
          sent: next,
          seconds: (performance.now() - startedAt) / 1000,
          outcomes,
          stoppedByDeadline: next < perTarget,
        }
        return [target.name, step] as const
      }),
    )
    return Object.fromEntries(results)
  } finally {
    await agent.destroy()
  }
}

function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'error'
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined
  return code ?? (error instanceof Error ? error.name : 'error')
}

/** (c): connections that send the headers and part of the body, then nothing; when does the server let go? */
async function stalledBodies(urls: LabUrls, options: FloodOptions): Promise<StallResult> {
  const targets = bodyTargets(urls)
  const startedAt = performance.now()
  const sockets: Array<{ target: string; socket: Socket; closedAfter?: number }> = []
  for (let i = 0; i < options.stalledConnections; i++) {
    const target = targets[i % targets.length]
    if (target === undefined) break
    const url = new URL(target.url)
    const socket = connect({ host: '127.0.0.1', port: Number(url.port) })
    const entry: { target: string; socket: Socket; closedAfter?: number } = { target: target.name, socket }
    socket.on('error', () => undefined)
    // The server closing the socket, or answering at all, is letting go.
    const letGo = () => (entry.closedAfter ??= (performance.now() - startedAt) / 1000)
    socket.on('close', letGo)
    socket.on('data', letGo)
    const headers = Object.entries(target.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n${headers}content-length: ${options.bodyBytes}\r\n\r\nx=aaaa`,
    )
    sockets.push(entry)
  }
  const deadline = startedAt + options.stallSeconds * 1000
  while (performance.now() < deadline && sockets.some((s) => s.closedAfter === undefined)) await sleep(50)
  const closed = sockets.flatMap((s) => (s.closedAfter === undefined ? [] : [s.closedAfter]))
  const byTarget: Record<string, { closedByServer: number; stillOpen: number }> = {}
  for (const s of sockets) {
    const t = (byTarget[s.target] ??= { closedByServer: 0, stillOpen: 0 })
    if (s.closedAfter === undefined) t.stillOpen++
    else t.closedByServer++
  }
  const stillOpen = sockets.length - closed.length
  for (const s of sockets) s.socket.destroy()
  return {
    connections: sockets.length,
    waitSeconds: options.stallSeconds,
    closedByServer: closed.length,
    heldSecondsMedian: closed.length > 0 ? median(closed) : undefined,
    heldSecondsMax: closed.length > 0 ? Math.max(...closed) : undefined,
    stillOpen,
    byTarget,
  }
}

async function settledRss(target: FloodTarget): Promise<RssByRole> {
  await sleep(SETTLE_MS)
  return target.rss()
}

export async function flood(target: FloodTarget, options: FloodOptions = FLOOD_DEFAULTS): Promise<FloodResult> {
  const startedAt = performance.now()
  const before = await settledRss(target)
  const anonymous = await anonymousAuthorize(target.urls, options)
  const afterAnonymous = await settledRss(target)
  const bodies = await largeBodies(target.urls, options)
  const afterBodies = await settledRss(target)
  const stalls = await stalledBodies(target.urls, options)
  const afterStalls = await settledRss(target)
  return {
    rssMb: { before, afterAnonymous, afterBodies, afterStalls },
    anonymous,
    bodies,
    stalls,
    seconds: (performance.now() - startedAt) / 1000,
  }
}

const mb = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1))
const outcomesText = (outcomes: Record<string, number>) =>
  Object.entries(outcomes)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')
const stepText = (step: StepCount) =>
  `${step.sent.toLocaleString('en-US')} in ${step.seconds.toFixed(1)} s${step.stoppedByDeadline ? ' (deadline)' : ''} — ${outcomesText(step.outcomes)}`

/** The printed table: RSS per server at each point, then what each step got back. */
export function floodTable(result: FloodResult): string {
  const roles = Object.keys(result.rssMb.before).filter((role) => !role.includes('launcher'))
  const { before, afterAnonymous, afterBodies, afterStalls } = result.rssMb
  const rows = roles.map((role) => [
    role,
    mb(before[role]),
    mb(afterAnonymous[role]),
    mb(afterBodies[role]),
    mb(afterStalls[role]),
  ])
  const { stalls } = result
  const held =
    stalls.heldSecondsMax === undefined
      ? 'none let go'
      : `median ${stalls.heldSecondsMedian?.toFixed(1)} s, max ${stalls.heldSecondsMax.toFixed(1)} s`
  return [
    table(
      ['server (RSS MB)', 'before', '(a) after anonymous GET /authorize', '(b) after 1 MiB bodies', '(c) after stalls'],
      rows,
      new Set([1, 2, 3, 4]),
    ),
    `(a) GET /authorize without a cookie: ${stepText(result.anonymous)}`,
    ...Object.entries(result.bodies).map(([name, step]) => `(b) ${name}, 1 MiB body: ${stepText(step)}`),
    `(c) ${stalls.connections} stalled bodies: ${stalls.closedByServer} let go by the server within the ${stalls.waitSeconds} s wait (${held}), ${stalls.stillOpen} still held at its end — ${Object.entries(
      stalls.byTarget,
    )
      .map(([name, t]) => `${name}: ${t.closedByServer} let go, ${t.stillOpen} held`)
      .join('; ')}`,
  ].join('\n')
}
