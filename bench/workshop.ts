// The workshop scenario: the lab started with WORKSHOP=on, N simulated
// learners (each a cookie jar of its own) join at the client app's /join,
// open their live inspector stream (GET /flow/events?view=latest&parts=1, as
// the inspector page opens it, read as EventSource reads it) and run their flows concurrently, every request of
// the seven steps timed. Each flow signs in and consents afresh (the learner
// drops the authorization server's session between flows and does not
// remember the decision), so every step is a real request each time; and
// before the next flow it waits (up to LOOK_MS) until its inspector showed
// step 7, as a learner looks at the inspector before starting again.
//
// A teacher's page follows the room too (GET /teacher/events with the lab
// key): its delay is the time from a flow's step 7 response to the first grid
// event that shows that learner at step 7.
//
// A learner reads each page before the next click: `thinkMs` (half to one and
// a half times it, at random, so that learners do not click in step) passes
// between one step's response and the next step's request. With 0 they click
// as fast as the lab answers: a stress far beyond any room of people.
//
// The inspector delay of a step is the time from its response to the first
// event of that learner's stream that shows it: an `event: section` of the
// same flow whose exchange lines include the step's exchange (as many times
// as the flow has made it by then). Events are matched after the run, from
// their arrival times, so the reading costs no step any time.

import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { request, type Agent } from 'undici'
import { Browser, expectStatus, hiddenField, resolve } from './http.js'
import type { LabUrls } from './flows.js'
import { percentile } from './stats.js'

/** The timed requests of one flow, in order, with the exchange line the inspector shows for each. */
export const WORKSHOP_STEPS = [
  { label: 'GET /connect (step 1)', line: 'client GET /connect 302' },
  { label: 'GET /authorize, sign-in page (step 2)', line: 'auth-server GET /authorize 200' },
  { label: 'POST /login (step 2)', line: 'auth-server POST /login 303' },
  { label: 'GET /authorize, consent page (step 3)', line: 'auth-server GET /authorize 200' },
  { label: 'POST /consent (steps 3-4)', line: 'auth-server POST /consent 303' },
  { label: 'GET /authenticated (steps 4-6)', line: 'client GET /authenticated 200' },
  { label: 'POST /fetch-resource (step 7)', line: 'client POST /fetch-resource 200' },
] as const

/** The authorization server's session cookie: dropped between flows, so each flow signs in again. */
const AS_SESSION_COOKIE = 'oauth_lab_as_sid'
/** How long the run waits for the last events after the last flow. */
const SETTLE_MS = 10_000
/** How long a learner waits for its inspector to show a flow's step 7 before the next flow. */
const LOOK_MS = 5000

export interface StepFigure {
  readonly label: string
  readonly samples: number
  readonly p50Ms: number
  readonly p95Ms: number
  /** p95 of the delay from the step's response to the learner's inspector event that shows it. */
  readonly inspectorP95Ms: number
  readonly inspectorP50Ms: number
  /** Steps whose event never came (within the settle time). */
  readonly missed: number
}

export interface TeacherFigure {
  /** Grid events the teacher's page got. */
  readonly events: number
  /** From a flow's step 7 response to the grid showing its learner at step 7. */
  readonly p50Ms: number
  readonly p95Ms: number
  readonly missed: number
}

export interface WorkshopResult {
  readonly learners: number
  readonly flowsEach: number
  /** The pause between a learner's clicks (0: flat out). */
  readonly thinkMs: number
  readonly seconds: number
  readonly join: { readonly p50Ms: number; readonly p95Ms: number }
  readonly steps: readonly StepFigure[]
  readonly events: number
  readonly failed: number
  readonly firstError?: string
  readonly rssMb: Record<string, number>
  readonly teacher?: TeacherFigure
}

export interface Timed {
  readonly flow: number
  readonly step: number
  readonly start: number
  readonly done: number
}

export interface Heard {
  readonly at: number
  readonly flow: string | null
  readonly requests: readonly string[]
}

export interface LearnerRun {
  readonly username: string
  readonly joinMs: number
  readonly timed: Timed[]
  readonly heard: Heard[]
}

/** Opens a stream; then reads it until `signal` aborts, handing each `event` block's data and arrival time to `heard`. */
async function follow(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  event: string,
  signal: AbortSignal,
  heard: (at: number, data: string) => void,
): Promise<{ read: Promise<void> }> {
  const res = await request(url.replace('//localhost:', '//127.0.0.1:'), {
    headers: { accept: 'text/event-stream', ...headers },
    dispatcher: agent,
    signal,
  })
  if (res.statusCode !== 200) throw new Error(`GET ${new URL(url).pathname}: HTTP ${res.statusCode}`)
  const prefix = `event: ${event}\n`
  const read = async () => {
    let buffer = ''
    try {
      for await (const chunk of res.body) {
        const at = performance.now()
        buffer += String(chunk)
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
          if (block.startsWith(prefix)) heard(at, block.slice(block.indexOf('data: ') + 6))
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error
    }
  }
  return { read: read() }
}

/** A learner's `section` events: arrival, flow and exchange lines (not the rendered section itself). */
function sections(heard: Heard[]): (at: number, data: string) => void {
  return (at, data) => {
    const parsed = JSON.parse(data) as Omit<Heard, 'at'>
    heard.push({ at, flow: parsed.flow, requests: parsed.requests })
  }
}

interface GridEvent {
  readonly at: number
  /** username -> the step the grid shows them at. */
  readonly reached: ReadonlyMap<string, number>
}

/** The teacher's `grid` events: each learner's row as the grid shows it. */
function grids(heard: GridEvent[]): (at: number, data: string) => void {
  return (at, data) => {
    const { html } = JSON.parse(data) as { html: string }
    const reached = new Map<string, number>()
    for (const m of html.matchAll(/data-learner="([^"]+)" data-reached="(\d)"/g)) reached.set(m[1]!, Number(m[2]))
    heard.push({ at, reached })
  }
}

/** From each flow's step 7 response to the first grid event after it showing that learner at step 7. */
export function teacherDelays(
  runs: ReadonlyArray<{ readonly username: string; readonly timed: readonly Timed[] }>,
  heard: readonly GridEvent[],
): Array<number | undefined> {
  const last = WORKSHOP_STEPS.length - 1
  return runs.flatMap(({ username, timed }) =>
    timed
      .filter((t) => t.step === last)
      .map((t) => {
        const shown = heard.find((g) => g.at >= t.start && g.reached.get(username) === 7)
        return shown === undefined ? undefined : Math.max(0, shown.at - t.done)
      }),
  )
}

async function join(browser: Browser, urls: LabUrls, name: string): Promise<{ username: string; password: string }> {
  const form = await browser.get(`${urls.client}/join`)
  expectStatus(form, 200, 'GET /join')
  const joined = await browser.post(`${urls.client}/join`, { _csrf: hiddenField(form.body, '_csrf') ?? '', name })
  expectStatus(joined, 200, 'POST /join')
  const shown = (id: string) => new RegExp(`id="${id}">([^<]+)<`).exec(joined.body)?.[1]
  const username = shown('learner-username')
  const password = shown('learner-password')
  if (username === undefined || password === undefined) throw new Error('POST /join: no user shown')
  return { username, password }
}

/** One flow, each of its seven requests timed (start, and end with the body read), `thinkMs` around each click. */
async function oneFlow(
  browser: Browser,
  urls: LabUrls,
  user: { username: string; password: string },
  flow: number,
  timed: Timed[],
  thinkMs: number,
): Promise<void> {
  let step = 0
  const time = async <T>(run: () => Promise<T>): Promise<T> => {
    if (thinkMs > 0) await sleep(thinkMs * (0.5 + Math.random()))
    const start = performance.now()
    const result = await run()
    timed.push({ flow, step: step++, start, done: performance.now() })
    return result
  }
  // A new sign-in each flow: the learner's browser forgets the authorization server's session.
  browser.jar.store(`${AS_SESSION_COOKIE}=; Max-Age=0`)
  const connect = await time(() => browser.get(`${urls.client}/connect`, false))
  expectStatus(connect, 302, 'GET /connect')
  const login = await time(() => browser.get(resolve(connect.location, urls.client)))
  expectStatus(login, 200, 'GET /authorize (sign-in page)')
  const signedIn = await time(() =>
    browser.post(`${urls.auth}/login`, {
      _csrf: hiddenField(login.body, '_csrf') ?? '',
      interaction: hiddenField(login.body, 'interaction') ?? '',
      ...user,
    }),
  )
  expectStatus(signedIn, 303, 'POST /login')
  const consent = await time(() => browser.get(resolve(signedIn.location, urls.auth)))
  expectStatus(consent, 200, 'GET /authorize (consent page)')
  const allowed = await time(() =>
    browser.post(`${urls.auth}/consent`, {
      _csrf: hiddenField(consent.body, '_csrf') ?? '',
      interaction: hiddenField(consent.body, 'interaction') ?? '',
      decision: 'allow',
    }),
  )
  expectStatus(allowed, 303, 'POST /consent')
  const callback = await time(() => browser.get(resolve(allowed.location, urls.auth)))
  expectStatus(callback, 200, 'GET /authenticated')
  const fetched = await time(() =>
    browser.post(`${urls.client}/fetch-resource`, { _csrf: hiddenField(callback.body, '_csrf') ?? '' }),
  )
  expectStatus(fetched, 200, 'POST /fetch-resource')
}

/** Each step's inspector delay (undefined: never shown), from the events a learner heard. */
export function delays(run: LearnerRun): Array<{ step: number; ms: number | undefined }> {
  const out: Array<{ step: number; ms: number | undefined }> = []
  const known = new Set<string>()
  const flows = new Set(run.timed.map((t) => t.flow))
  for (const flow of flows) {
    const steps = run.timed.filter((t) => t.flow === flow)
    const first = steps[0]
    // The flow's id: the first new flow an event shows after its GET /connect began.
    const id = run.heard.find(
      (h) =>
        first &&
        h.at >= first.start &&
        h.flow !== null &&
        !known.has(h.flow) &&
        h.requests.includes(WORKSHOP_STEPS[0].line),
    )?.flow
    if (id) known.add(id)
    for (const t of steps) {
      const line = WORKSHOP_STEPS[t.step]?.line ?? ''
      // The k-th time the flow makes this exchange (GET /authorize is made twice).
      const times = steps.filter((s) => s.step <= t.step && WORKSHOP_STEPS[s.step]?.line === line).length
      const shown = run.heard.find(
        (h) => h.at >= t.start && h.flow === id && h.requests.filter((r) => r === line).length >= times,
      )
      out.push({
        step: t.step,
        ms: id === undefined || shown === undefined ? undefined : Math.max(0, shown.at - t.done),
      })
    }
  }
  return out
}

export async function workshopScenario(opts: {
  readonly agent: Agent
  /** The learners' open streams, on connections of their own. */
  readonly streamAgent: Agent
  readonly urls: LabUrls
  readonly learners: number
  readonly flowsEach: number
  readonly thinkMs: number
  readonly rss: () => Record<string, number>
  /** With the lab key, a teacher's page follows the room (/teacher/events). */
  readonly labKey?: string
}): Promise<WorkshopResult> {
  const started = performance.now()
  const controller = new AbortController()
  // One signal ends every learner's stream.
  setMaxListeners(opts.learners + 10, controller.signal)
  const errors: string[] = []
  const teacherHeard: GridEvent[] = []
  if (opts.labKey !== undefined) {
    const { read } = await follow(
      opts.streamAgent,
      `${opts.urls.client}/teacher/events`,
      { authorization: `Bearer ${opts.labKey}` },
      'grid',
      controller.signal,
      grids(teacherHeard),
    )
    read.catch((error: unknown) => errors.push(error instanceof Error ? error.message : String(error)))
  }
  const runs = await Promise.all(
    Array.from({ length: opts.learners }, async (_, i): Promise<LearnerRun | undefined> => {
      const browser = new Browser(opts.agent)
      const heard: Heard[] = []
      const timed: Timed[] = []
      try {
        const t0 = performance.now()
        const user = await join(browser, opts.urls, `Learner ${i + 1}`)
        const joinMs = performance.now() - t0
        // The stream is open before the first flow starts, as the learner's inspector tab would be.
        const { read } = await follow(
          opts.streamAgent,
          `${opts.urls.client}/flow/events?view=latest&parts=1`,
          { cookie: browser.jar.header() ?? '' },
          'section',
          controller.signal,
          sections(heard),
        )
        read.catch((error: unknown) => errors.push(error instanceof Error ? error.message : String(error)))
        for (let flow = 0; flow < opts.flowsEach; flow++) {
          await oneFlow(browser, opts.urls, user, flow, timed, opts.thinkMs)
          const looked = performance.now()
          const shown = () => delays({ username: user.username, joinMs, timed, heard }).every((d) => d.ms !== undefined)
          while (!shown() && performance.now() - looked < LOOK_MS) await sleep(50)
        }
        return { username: user.username, joinMs, timed, heard }
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error))
        return undefined
      }
    }),
  )
  const flowsDone = performance.now()
  // The last steps' events: wait until every learner's stream showed its last step, or the settle time.
  const done = runs.filter((r): r is LearnerRun => r !== undefined)
  const settled = () =>
    done.every((r) => delays(r).every((d) => d.ms !== undefined)) &&
    (opts.labKey === undefined || teacherDelays(done, teacherHeard).every((d) => d !== undefined))
  while (!settled() && performance.now() - flowsDone < SETTLE_MS) await sleep(100)
  const rssMb = opts.rss()
  controller.abort()

  const all = done.map(delays)
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b)
  const steps = WORKSHOP_STEPS.map((s, step): StepFigure => {
    const took = sorted(done.flatMap((r) => r.timed.filter((t) => t.step === step).map((t) => t.done - t.start)))
    const waited = all.flatMap((d) => d.filter((x) => x.step === step))
    const shown = sorted(waited.flatMap((x) => (x.ms === undefined ? [] : [x.ms])))
    return {
      label: s.label,
      samples: took.length,
      p50Ms: percentile(took, 50),
      p95Ms: percentile(took, 95),
      inspectorP50Ms: percentile(shown, 50),
      inspectorP95Ms: percentile(shown, 95),
      missed: waited.length - shown.length,
    }
  })
  const joins = sorted(done.map((r) => r.joinMs))
  const toTeacher = teacherDelays(done, teacherHeard)
  const teacherShown = sorted(toTeacher.filter((d): d is number => d !== undefined))
  const teacher: TeacherFigure | undefined =
    opts.labKey === undefined
      ? undefined
      : {
          events: teacherHeard.length,
          p50Ms: percentile(teacherShown, 50),
          p95Ms: percentile(teacherShown, 95),
          missed: toTeacher.length - teacherShown.length,
        }
  return {
    learners: opts.learners,
    flowsEach: opts.flowsEach,
    thinkMs: opts.thinkMs,
    seconds: (flowsDone - started) / 1000,
    join: { p50Ms: percentile(joins, 50), p95Ms: percentile(joins, 95) },
    steps,
    events: done.reduce((n, r) => n + r.heard.length, 0),
    failed: errors.length,
    ...(errors[0] === undefined ? {} : { firstError: errors[0] }),
    rssMb,
    ...(teacher === undefined ? {} : { teacher }),
  }
}
