// Lab only (INSPECTOR=on): GET /_lab/exchanges serves what this server's flow
// recorder saw, to the client's flow inspector. Each app registers it only
// with the inspector on: off, no such door exists. A lab power (every
// browser's traffic, credentials included): only the lab key opens it.
//
// `?since=<seq>` answers the exchanges newer than seq; `&wait=<ms>` makes it a
// long-poll: when there is nothing newer yet, the answer waits until there is
// (or `wait` passes), so that a live inspector hears of a step as it happens
// instead of on its next poll. `boot` changes when the server restarts (its
// seq numbers start again); `seq` is the latest exchange's number.

import type { FastifyInstance } from 'fastify'
import type { FlowRecorder } from './flow-recorder.js'
import { requireLabKey } from './lab-key.js'

/** The longest a long-poll is held: below the usual 30-60 s idle timeouts of proxies. */
export const MAX_WAIT_MS = 25_000

/** Call right after registerLabKey and setUpFlowRecorder, before the app's other routes and hooks. */
export function registerLabExchangesRoute(app: FastifyInstance, recorder: FlowRecorder): void {
  // A held answer would keep app.close() waiting for its whole `wait`; and its
  // keep-alive connection, busy when the close began, must not stay open after.
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    recorder.releaseWaiters()
    done()
  })
  app.get<{ Querystring: { since?: number; wait?: number } }>(
    '/_lab/exchanges',
    {
      // onRequest: the key is checked before the query is validated.
      onRequest: requireLabKey,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            since: { type: 'integer', minimum: 0 },
            wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS },
          },
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      const since = request.query.since ?? 0
      if (request.query.wait) {
        // A reader that went away stops the wait (the response's 'close': the request's fires once it is read).
        const gone = new AbortController()
        const stop = () => gone.abort()
        reply.raw.once('close', stop)
        await recorder.waitNewer(since, request.query.wait, gone.signal)
        reply.raw.off('close', stop)
        if (closing) reply.header('connection', 'close')
      }
      // `seq`: read with the exchanges, so a reader's cursor moves past what a reset dropped unread.
      return { role: recorder.role, boot: recorder.boot, seq: recorder.latest(), exchanges: recorder.since(since) }
    },
  )
}
