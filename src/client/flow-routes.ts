// GET /flow: the flow inspector. The seven steps of the latest flow (or of
// /flow/:id) with the raw HTTP each server saw, live over server-sent events
// (/flow/events, which pushes the changed section itself), and exported as Markdown, curl commands and HAR.
//
// Each browser sees only the flows it took part in (flow/visibility.ts); the
// lab key's holder sees every flow. Another browser's flow is "no such flow"
// (404), never "forbidden", which would confirm that it exists.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { viewerOf } from './flow/browser-id.js'
import { toCurl, toHar, toMarkdown } from './flow/export.js'
import { toRunnableCurl } from './flow/runnable-curl.js'
import type { Inspector } from './flow/inspector.js'
import { sectionPush, type LiveInspector } from './flow/push.js'
import { renderSection } from './flow/render-section.js'
import { openStream } from './flow/stream.js'
import { flowJson } from './flow/summary.js'
import type { Flow } from './flow/types.js'
import { flowView } from './flow/view-model.js'
import type { Viewer } from './flow/visibility.js'

interface IdParams {
  readonly id: string
}

interface PageQuery {
  /** 1: only the flow section, for flow.js's live updates. */
  readonly fragment?: string
  /** all: "show everything" (every header and body), without script. */
  readonly detail?: string
  /** 1: presentation mode, one step per screen (the step in `step`, 1 to 7). */
  readonly present?: string
  readonly step?: string
}

interface EventsQuery {
  /** The page's flow (its id, or `latest`): its section is pushed with each change. Without it, `update` only. */
  readonly view?: string
  /** 1: the section in parts, articles the stream was sent before as placeholders (what public/flow.js asks for). */
  readonly parts?: '1'
}

const FLOW_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const
const ID = { type: 'object', properties: { id: FLOW_ID } } as const
const EVENTS_QUERY = {
  type: 'object',
  properties: { view: FLOW_ID, parts: { type: 'string', enum: ['1'] } },
} as const

export async function flowRoutes(
  app: FastifyInstance,
  opts: { config: LabConfig; live: LiveInspector | undefined },
): Promise<void> {
  if (!opts.config.inspector.enabled || opts.live === undefined) {
    // INSPECTOR=off: nothing is recorded, so there is nothing to show or export.
    app.get('/flow', async (_request, reply) => reply.viewAsync('client/flow-off', { title: 'Flow inspector' }))
    return
  }
  // The inspector never reads or writes the client's session. A page polling in
  // another tab would otherwise re-send (rolling) the session cookie it came with,
  // and could restore the pre-callback session id that the callback has just
  // replaced (session fixation defence), losing the token and the CSRF secret.
  app.addHook('onRequest', async (request) => {
    ;(request as { session: unknown }).session = null
  })
  // The client app's one collector, shared with the teacher's view (flow/push.ts).
  const { inspector, hub } = opts.live

  app.get<{ Querystring: PageQuery }>('/flow', async (request, reply) =>
    page(app, reply, inspector, undefined, viewerOf(request), request.query),
  )
  app.get<{ Querystring: EventsQuery }>('/flow/events', { schema: { querystring: EVENTS_QUERY } }, (request, reply) => {
    const viewer = viewerOf(request)
    const { view, parts } = request.query
    const push = view === undefined ? undefined : sectionPush(app, inspector, viewer, view, parts === '1')
    openStream(request, reply, hub, push)
  })
  app.get<{ Params: IdParams; Querystring: PageQuery }>(
    '/flow/:id',
    { schema: { params: ID } },
    async (request, reply) => page(app, reply, inspector, request.params.id, viewerOf(request), request.query),
  )
  app.get<{ Params: IdParams }>('/flow/:id.json', { schema: { params: ID } }, async (request, reply) => {
    const flow = await findFlow(inspector, request.params.id, viewerOf(request))
    if (!flow) return reply.callNotFound()
    return reply
      .header('cache-control', 'no-store')
      .send(flowJson(flow, await flowView(flow, inspector.jwks, inspector.labels)))
  })
  registerExports(app, inspector)
}

function registerExports(app: FastifyInstance, inspector: Inspector): void {
  const exports: Array<[string, string, string, (flow: Flow) => string]> = [
    ['transcript.md', 'text/markdown; charset=utf-8', 'md', (flow) => toMarkdown(flow)],
    ['curl.sh', 'text/x-shellscript; charset=utf-8', 'sh', (flow) => toCurl(flow, inspector.urls)],
    ['run.sh', 'text/x-shellscript; charset=utf-8', 'run.sh', (flow) => toRunnableCurl(flow, inspector.urls)],
    [
      'flow.har',
      'application/json; charset=utf-8',
      'har',
      (flow) => JSON.stringify(toHar(flow, inspector.urls, inspector.version), null, 2),
    ],
  ]
  for (const [file, type, extension, render] of exports) {
    app.get<{ Params: IdParams }>(`/flow/:id/${file}`, { schema: { params: ID } }, async (request, reply) => {
      const flow = await findFlow(inspector, request.params.id, viewerOf(request))
      if (!flow) return reply.callNotFound()
      return reply
        .header('content-type', type)
        .header('content-disposition', `attachment; filename="oauth-lab-flow-${flow.id}.${extension}"`)
        .header('cache-control', 'no-store')
        .send(render(flow))
    })
  }
}

async function findFlow(inspector: Inspector, id: string, viewer: Viewer): Promise<Flow | undefined> {
  return inspector.find(await inspector.flows(viewer), id)
}

async function page(
  app: FastifyInstance,
  reply: FastifyReply,
  inspector: Inspector,
  id: string | undefined,
  viewer: Viewer,
  query: PageQuery,
): Promise<string> {
  const fragment = query.fragment === '1'
  const model = await inspector.page(id, viewer, query.detail === 'all')
  // The page shows secrets (that is the lesson): never cache it.
  reply.header('cache-control', 'no-store').code(model.missingId === undefined ? 200 : 404)
  if (query.present === '1' && !fragment)
    return reply.viewAsync('client/flow-present', { ...model, present: presentation(id, query.step) })
  // One rendering of the section for the fragment, the page and the live stream (flow/render-section.ts).
  const section = await renderSection(app, model)
  if (fragment) {
    reply.type('text/html; charset=utf-8')
    return section
  }
  return reply.viewAsync('client/flow', { ...model, section })
}

/** Presentation mode's place: the step shown (anything but 1-7 is step 1) and where ← and → go. */
function presentation(id: string | undefined, step: string | undefined) {
  const n = /^[1-7]$/.test(step ?? '') ? Number(step) : 1
  const path = id === undefined ? '/flow' : `/flow/${encodeURIComponent(id)}`
  const at = (k: number) => `${path}?present=1&step=${k}`
  return {
    step: n,
    ...(n > 1 ? { prev: at(n - 1) } : {}),
    ...(n < 7 ? { next: at(n + 1) } : {}),
    leave: `${path}#step-${n}`,
  }
}
