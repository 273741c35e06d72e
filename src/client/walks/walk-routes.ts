// Walk-throughs (a teaching aid): GET /walk lists them; GET /walk/<name> shows
// one, its own numbered steps and what each "Next" did; POST
// /walk/<name>/start and /walk/<name>/next (CSRF) run it one stop at a time,
// server-side, against the real servers. A stop that needs the browser (an
// authorization request) sends it away with a state, and the client app's
// callback hands the answer back here (walk-callback.ts).
//
// Every request of a walk carries its flow tag (x-oauth-lab-flow), and every
// answer to a "Next" names it, so the flow inspector shows the walk as one flow
// with the walk's steps, to this browser only (flow/visibility.ts).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import { csrfCheck } from '../../shared/session-csrf.js'
import { ATTACKS } from '../break-it/catalog.js'
import { renderError } from '../errors.js'
import { csrfFormSchema } from '../fetch-resource.js'
import { registerBrowserIdCookie, startFlow } from '../flow/browser-id.js'
import { FLOW_HEADER } from '../flow/http.js'
import type { Fetch } from '../oauth-client.js'
import { findWalk, WALKS } from './definitions.js'
import { findScript } from './scripts.js'
import { walkTag } from './tag.js'
import { isWalkName, type WalkDefinition, type WalkOutcome, type WalkScript, type WalkState } from './walk.js'

declare module 'fastify' {
  interface Session {
    /** The walk-through this browser is in, and how far it got. */
    clientWalk?: WalkState
  }
}

interface NameParams {
  readonly name: string
}

const NAME = { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z-]{1,40}$' } } } as const

/** A fetch whose every request carries the walk's flow tag. */
export function taggedFetch(fetchFn: Fetch, tag: string): Fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set(FLOW_HEADER, tag)
    return fetchFn(input, { ...init, headers })
  }
}

function lookUp(name: string): { walk: WalkDefinition; script: WalkScript } | undefined {
  if (!isWalkName(name)) return undefined
  const walk = findWalk(name)
  const script = findScript(name)
  return walk && script ? { walk, script } : undefined
}

function noSuchWalk(reply: FastifyReply) {
  return renderError(reply, 404, 'No such walk-through', 'The lab has no walk-through of that name; pick one at /walk.')
}

/**
 * Applies an outcome to the walk's state: its result, what it keeps, the next
 * stop. `moves`: 1 after a stop ran, 0 after a callback (the stop that sent
 * the browser away has already moved on).
 */
export function advance(state: WalkState, outcome: WalkOutcome, script: WalkScript, moves: 0 | 1 = 1): WalkState {
  const data = { ...state.data, ...outcome.data }
  if (outcome.kind === 'redirect') return { ...state, stop: state.stop + moves, data, state: outcome.state }
  // The browser is back (or never left): no state is awaited any more.
  return {
    name: state.name,
    tag: state.tag,
    stop:
      outcome.done === true
        ? script.stops.length
        : outcome.again === true
          ? state.stop
          : Math.min(script.stops.length, state.stop + moves + (outcome.skip ?? 0)),
    results: [...state.results, outcome.result],
    data,
  }
}

export async function walkRoutes(app: FastifyInstance, opts: { config: LabConfig; fetch: Fetch }): Promise<void> {
  const { config } = opts
  if (config.inspector.enabled) registerBrowserIdCookie(app)
  // A start or a "Next" (once its CSRF token is checked) is a flow this browser takes part in.
  app.addHook('preHandler', async (request) => {
    if (request.method === 'POST') startFlow(request)
  })

  app.get('/walk', async (_request, reply) =>
    reply.header('cache-control', 'no-store').viewAsync('client/walk-index', {
      walks: WALKS.filter((w) => findScript(w.name) !== undefined).map(({ name, title, summary, rfc }) => ({
        name,
        title,
        summary,
        rfc,
      })),
    }),
  )

  app.get<{ Params: NameParams }>('/walk/:name', { schema: { params: NAME } }, async (request, reply) => {
    const found = lookUp(request.params.name)
    if (!found) return noSuchWalk(reply)
    const state = request.session.clientWalk?.name === found.walk.name ? request.session.clientWalk : undefined
    return reply
      .header('cache-control', 'no-store')
      .viewAsync('client/walk', walkPage(config, found.walk, found.script, state, reply.generateCsrf()))
  })

  const form = { schema: { params: NAME, body: csrfFormSchema }, preValidation: csrfCheck(app) }

  app.post<{ Params: NameParams }>('/walk/:name/start', form, async (request, reply) => {
    const found = lookUp(request.params.name)
    if (!found) return noSuchWalk(reply)
    const state: WalkState = { name: found.walk.name, tag: walkTag(found.walk.name), stop: 0, results: [], data: {} }
    request.session.clientWalk = state
    return reply.header(FLOW_HEADER, state.tag).redirect(`/walk/${found.walk.name}`, 303)
  })

  app.post<{ Params: NameParams }>('/walk/:name/next', form, async (request, reply) => {
    const found = lookUp(request.params.name)
    if (!found) return noSuchWalk(reply)
    const state = request.session.clientWalk
    const stop = state?.name === found.walk.name ? found.script.stops[state.stop] : undefined
    // Not started, or already finished: the page says what to do.
    if (state === undefined || stop === undefined) return reply.redirect(`/walk/${found.walk.name}`, 303)
    const outcome = await stop.run(runContext(config, opts.fetch, state, request))
    request.session.clientWalk = advance(state, outcome, found.script)
    reply.header(FLOW_HEADER, state.tag)
    return reply.redirect(
      outcome.kind === 'redirect' ? outcome.location : `/walk/${found.walk.name}#step-${stop.step}`,
      303,
    )
  })
}

export function runContext(config: LabConfig, fetchFn: Fetch, state: WalkState, request: FastifyRequest) {
  return { config, fetch: taggedFetch(fetchFn, state.tag), data: state.data, request }
}

function walkPage(
  config: LabConfig,
  walk: WalkDefinition,
  script: WalkScript,
  state: WalkState | undefined,
  csrfToken: string,
) {
  const next = state === undefined ? undefined : script.stops[state.stop]
  const reached = Math.max(0, ...(state?.results ?? []).map((r) => r.step))
  const attacks = ATTACKS.filter((a) => walk.attacks.includes(a.name)).map(({ name, title, tried }) => ({
    name,
    title,
    tried,
  }))
  return {
    walk: { name: walk.name, title: walk.title, summary: walk.summary, rfc: walk.rfc, count: walk.steps.length },
    started: state !== undefined,
    finished: state !== undefined && next === undefined && state.state === undefined,
    away: state?.state !== undefined,
    steps: walk.steps.map((step) => ({
      ...step,
      status: step.n <= reached ? 'done' : next?.step === step.n ? 'next' : 'todo',
      results: (state?.results ?? []).filter((r) => r.step === step.n),
    })),
    ...(next === undefined ? {} : { next: { action: next.action, step: next.step } }),
    position: next?.step ?? reached,
    flowUrl: state !== undefined && config.inspector.enabled ? `/flow/${state.tag}` : undefined,
    attacks,
    csrfToken,
  }
}
