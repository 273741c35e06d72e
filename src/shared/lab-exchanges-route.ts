// Lab only (INSPECTOR=on): GET /_lab/exchanges serves what this server's flow
// recorder saw, to the client's flow inspector. Each app registers it only
// with the inspector on: off, no such door exists. A lab power (every
// browser's traffic, credentials included): only the lab key opens it.

import type { FastifyInstance } from 'fastify'
import type { FlowRecorder } from './flow-recorder.js'
import { requireLabKey } from './lab-key.js'

/** Call right after registerLabKey and setUpFlowRecorder, before the app's other routes and hooks. */
export function registerLabExchangesRoute(app: FastifyInstance, recorder: FlowRecorder): void {
  app.get<{ Querystring: { since?: number } }>(
    '/_lab/exchanges',
    {
      // onRequest: the key is checked before the query is validated.
      onRequest: requireLabKey,
      schema: { querystring: { type: 'object', properties: { since: { type: 'integer', minimum: 0 } } } },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      return { role: recorder.role, exchanges: recorder.since(request.query.since ?? 0) }
    },
  )
}
