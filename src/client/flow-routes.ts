// GET /flow: the flow inspector. The seven steps of the latest flow (or of
// /flow/:id) with the raw HTTP each server saw, live over server-sent events
// (/flow/events), and exported as Markdown, curl commands and HAR.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { toCurl, toHar, toMarkdown } from './flow/export.js'
import { createInspector, type Inspector } from './flow/inspector.js'
import { createLiveHub } from './flow/live.js'
import { flowJson } from './flow/summary.js'
import type { Flow } from './flow/types.js'
import { flowView } from './flow/view-model.js'
import type { Fetch } from './oauth-client.js'

interface IdParams {
  readonly id: string
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
  const hub = createLiveHub(inspector.collector)
  // Open event streams would keep app.close() waiting: end them first.
  app.addHook('preClose', async () => hub.close())
  app.addHook('onClose', async () => inspector.collector.close())

  app.get<{ Querystring: { fragment?: string } }>('/flow', async (request, reply) =>
    page(reply, inspector, undefined, request.query.fragment === '1'),
  )
  app.get('/flow/events', (request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    })
    reply.raw.write('retry: 2000\n\n')
    hub.add(reply.raw)
    request.log.debug('flow inspector: a page listens')
  })
  app.get<{ Params: IdParams; Querystring: { fragment?: string } }>(
    '/flow/:id',
    { schema: { params: ID } },
    async (request, reply) => page(reply, inspector, request.params.id, request.query.fragment === '1'),
  )
  app.get<{ Params: IdParams }>('/flow/:id.json', { schema: { params: ID } }, async (request, reply) => {
    const flow = await findFlow(inspector, request.params.id)
    if (!flow) return reply.callNotFound()
    return reply.header('cache-control', 'no-store').send(flowJson(flow, await flowView(flow, inspector.jwks)))
  })
  registerExports(app, inspector)
}

function registerExports(app: FastifyInstance, inspector: Inspector): void {
  const exports: Array<[string, string, string, (flow: Flow) => string]> = [
    ['transcript.md', 'text/markdown; charset=utf-8', 'md', (flow) => toMarkdown(flow)],
    ['curl.sh', 'text/x-shellscript; charset=utf-8', 'sh', (flow) => toCurl(flow, inspector.urls)],
    [
      'flow.har',
      'application/json; charset=utf-8',
      'har',
      (flow) => JSON.stringify(toHar(flow, inspector.urls, inspector.version), null, 2),
    ],
  ]
  for (const [file, type, extension, render] of exports) {
    app.get<{ Params: IdParams }>(`/flow/:id/${file}`, { schema: { params: ID } }, async (request, reply) => {
      const flow = await findFlow(inspector, request.params.id)
      if (!flow) return reply.callNotFound()
      return reply
        .header('content-type', type)
        .header('content-disposition', `attachment; filename="oauth-lab-flow-${flow.id}.${extension}"`)
        .header('cache-control', 'no-store')
        .send(render(flow))
    })
  }
}

async function findFlow(inspector: Inspector, id: string): Promise<Flow | undefined> {
  return inspector.find(await inspector.flows(), id)
}

async function page(
  reply: FastifyReply,
  inspector: Inspector,
  id: string | undefined,
  fragment: boolean,
): Promise<string> {
  const model = await inspector.page(id)
  // The page shows secrets (that is the lesson): never cache it.
  reply.header('cache-control', 'no-store').code(model.missingId === undefined ? 200 : 404)
  return reply.viewAsync(fragment ? 'client/flow-section' : 'client/flow', model)
}
