// GET /flow: the flow inspector. The seven steps of the latest flow (or of
// /flow/:id) with the raw HTTP each server saw, live over server-sent events
// (/flow/events), and exported as Markdown, curl commands and HAR.
//
// Each browser sees only the flows it took part in (flow/visibility.ts); the
// lab key's holder sees every flow. Another browser's flow is "no such flow"
// (404), never "forbidden", which would confirm that it exists.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { browserOf, viewerOf } from './flow/browser-id.js'
import { toCurl, toHar, toMarkdown } from './flow/export.js'
import { toRunnableCurl } from './flow/runnable-curl.js'
import { createInspector, type Inspector } from './flow/inspector.js'
import { createLiveHub, LIVE_TOTAL, type LiveHub } from './flow/live.js'
import { flowJson } from './flow/summary.js'
import type { Flow } from './flow/types.js'
import { flowView } from './flow/view-model.js'
import type { Viewer } from './flow/visibility.js'
import type { Fetch } from './oauth-client.js'

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

const ID = { type: 'object', properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } } } as const

export async function flowRoutes(app: FastifyInstance, opts: { config: LabConfig; fetch: Fetch }): Promise<void> {
  if (!opts.config.inspector.enabled) {
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
  const inspector = createInspector(opts.config, opts.fetch, app.flowRecorder)
  const hub = createLiveHub(inspector.collector, (viewer) => inspector.fingerprint(viewer))
  // Open event streams would keep app.close() waiting: end them first.
  app.addHook('preClose', async () => hub.close())
  app.addHook('onClose', async () => inspector.collector.close())

  app.get<{ Querystring: PageQuery }>('/flow', async (request, reply) =>
    page(reply, inspector, undefined, viewerOf(request), request.query),
  )
  app.get('/flow/events', (request, reply) => events(request, reply, hub))
  app.get<{ Params: IdParams; Querystring: PageQuery }>(
    '/flow/:id',
    { schema: { params: ID } },
    async (request, reply) => page(reply, inspector, request.params.id, viewerOf(request), request.query),
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

/**
 * The live stream. A browser that started no flow has nothing to follow: 204,
 * which tells EventSource not to reconnect (flow.js tries again later). Caps
 * in flow/live.ts: over the per-browser cap the oldest stream of that browser
 * is closed; over the total cap the new one is refused with 429.
 */
function events(request: FastifyRequest, reply: FastifyReply, hub: LiveHub): void {
  const viewer = viewerOf(request)
  if (viewer.kind === 'none') {
    reply.code(204).header('cache-control', 'no-store').send()
    return
  }
  // A browser's streams count together, the lab key's holder's by browser too when it has an id.
  const bucket = browserOf(request) ?? viewer.kind
  if (!hub.hasRoom(bucket)) {
    reply
      .code(429)
      .header('retry-after', '30')
      .header('cache-control', 'no-store')
      .send({
        error: 'too_many_streams',
        error_description: `The inspector follows at most ${LIVE_TOTAL} pages live at once; reload later.`,
      })
    return
  }
  reply.hijack()
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  })
  reply.raw.write('retry: 2000\n\n')
  hub.add(reply.raw, viewer, bucket)
  request.log.debug('flow inspector: a page listens')
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
  return reply.viewAsync(fragment ? 'client/flow-section' : 'client/flow', model)
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
