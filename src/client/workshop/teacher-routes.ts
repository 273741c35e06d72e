// Workshop mode: the teacher's view, behind the lab key. GET /teacher is a
// grid of learners x the seven steps (how far each one's latest flow got), the
// Break-it attacks each ran with the servers' answers, and a link to each
// learner's flow in the inspector (the key's holder sees every browser's
// flows). teacher.js polls `?fragment=1` to keep the grid live. POST
// /teacher/reset (CSRF) forgets the learners and their flows;
// GET /teacher/export.json downloads the session for the teacher's notes.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import { requireLabKey } from '../../shared/lab-key.js'
import { csrfCheck } from '../../shared/session-csrf.js'
import { csrfFormSchema } from '../fetch-resource.js'
import { createInspector } from '../flow/inspector.js'
import type { Fetch } from '../oauth-client.js'
import type { LearnerRegistry } from './learners.js'
import { roomProgress, type LearnerProgress } from './progress.js'
import { forgetLearners } from './provision.js'

interface TeacherQuery {
  /** 1: only the grid, for teacher.js's live updates. */
  readonly fragment?: string
}

export async function teacherRoutes(
  app: FastifyInstance,
  opts: { config: LabConfig; fetch: Fetch; learners: LearnerRegistry },
): Promise<void> {
  const { config, learners } = opts
  // Every route here is the teacher's: the lab key before anything else.
  app.addHook('onRequest', requireLabKey)
  // Its own reader of the three servers' recordings (bounded like the inspector's), read only when asked.
  const inspector = config.inspector.enabled ? createInspector(config, opts.fetch, app.flowRecorder) : undefined
  app.addHook('onClose', async () => inspector?.collector.close())

  async function progress(): Promise<LearnerProgress[]> {
    if (!inspector) return roomProgress(learners.all(), [], [], learners.since)
    const flows = await inspector.flows({ kind: 'all' })
    return roomProgress(learners.all(), flows, inspector.collector.exchanges(), learners.since)
  }

  app.get<{ Querystring: TeacherQuery }>('/teacher', async (request, reply) => {
    const fragment = request.query.fragment === '1'
    const model = {
      title: 'Teacher',
      learners: await progress(),
      inspector: inspector !== undefined,
      max: learners.max,
      csrfToken: fragment ? undefined : reply.generateCsrf(),
    }
    reply.header('cache-control', 'no-store')
    return reply.viewAsync(fragment ? 'client/teacher-grid' : 'client/teacher', model)
  })

  app.get('/teacher/export.json', async (_request, reply: FastifyReply) => {
    const exported = { exportedAt: new Date().toISOString(), learners: await progress() }
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', 'attachment; filename="oauth-lab-workshop.json"')
      .header('cache-control', 'no-store')
      .send(JSON.stringify(exported, null, 2))
  })

  app.post('/teacher/reset', { schema: { body: csrfFormSchema }, preValidation: csrfCheck(app) }, async (_r, reply) => {
    learners.reset(Date.now())
    // The authorization server's count of learners starts again too, so the next session has its full room.
    await forgetLearners(config, opts.fetch)
    return reply.redirect('/teacher', 303)
  })
}
