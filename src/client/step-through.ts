// Step-through mode's switch (a teaching aid): when on, the client stops before
// steps 1, 5 and 7, shows the exact message it is about to send, and sends it
// on "Send" (connect.ts, callback.ts, fetch-resource.ts); step 5 comes with step
// 4's result (step-arrival.ts). Kept per session; off by default.

import type { FastifyInstance } from 'fastify'
import { csrfCheck } from '../shared/session-csrf.js'

interface StepThroughBody {
  readonly _csrf?: string
  /** A checkbox: present ("on") when ticked, absent when not. */
  readonly stepThrough?: 'on'
}

const stepThroughBodySchema = {
  type: 'object',
  properties: { _csrf: { type: 'string' }, stepThrough: { type: 'string', enum: ['on'] } },
} as const

export async function stepThroughRoutes(app: FastifyInstance): Promise<void> {
  // The home page can only carry this form once a session exists (it must not
  // create one for a first visit); before that, its button leads here.
  app.get('/settings/step-through', async (request, reply) => {
    return reply.header('cache-control', 'no-store').viewAsync('client/step-through', {
      stepThrough: request.session.clientStepThrough === true,
      csrfToken: reply.generateCsrf(),
    })
  })

  app.post<{ Body: StepThroughBody }>(
    '/settings/step-through',
    { schema: { body: stepThroughBodySchema }, preValidation: csrfCheck(app) },
    async (request, reply) => {
      request.session.clientStepThrough = request.body.stepThrough === 'on'
      // 303: back to the home page with a GET, so a reload does not post again.
      return reply.redirect('/', 303)
    },
  )
}
