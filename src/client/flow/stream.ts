// One live stream (server-sent events) of the client app's hub, for an
// inspector page (/flow/events) or the teacher's grid (/teacher/events).

import type { FastifyReply, FastifyRequest } from 'fastify'
import { browserOf, viewerOf } from './browser-id.js'
import { LIVE_TOTAL, type LiveHub, type Push } from './live.js'

/**
 * The live stream. A browser that started no flow has nothing to follow: 204,
 * which tells EventSource not to reconnect (flow.js tries again later). Caps
 * in flow/live.ts: over the per-browser cap the oldest stream of that browser
 * is closed; over the total cap the new one is refused with 429.
 */
export function openStream(request: FastifyRequest, reply: FastifyReply, hub: LiveHub, push?: Push): void {
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
  hub.add(reply.raw, viewer, bucket, push)
  request.log.debug('flow inspector: a page listens')
}
