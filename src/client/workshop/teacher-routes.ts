// Workshop mode: the teacher's view, behind the lab key. GET /teacher is a
// grid of learners x the seven steps (how far each one's latest flow got), the
// Break-it attacks each ran with the servers' answers, and a link to each
// learner's flow in the inspector (the key's holder sees every browser's
// flows). The grid is pushed over /teacher/events (server-sent events, the
// inspector's one live hub and collector: flow/push.ts), so the teacher's page
// polls no server of its own; `?fragment=1` is the grid alone. POST
// /teacher/reset (CSRF) forgets the learners and their flows;
// GET /teacher/export.json downloads the session for the teacher's notes.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import { requireLabKey } from '../../shared/lab-key.js'
import { csrfCheck } from '../../shared/session-csrf.js'
import { csrfFormSchema } from '../fetch-resource.js'
import type { Push } from '../flow/live.js'
import type { LiveInspector } from '../flow/push.js'
import { openStream } from '../flow/stream.js'
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
  opts: { config: LabConfig; fetch: Fetch; learners: LearnerRegistry; live: LiveInspector | undefined },
): Promise<void> {
  const { config, learners, live } = opts
  const inspector = live?.inspector
  // Every route here is the teacher's: the lab key before anything else.
  app.addHook('onRequest', requireLabKey)

  /** The room's progress; `fresh`: collect what is new first (a page), else from what was collected (a push). */
  async function progress(fresh = true): Promise<LearnerProgress[]> {
    if (!inspector) return roomProgress(learners.all(), () => [], learners.since)
    if (fresh) await inspector.collector.refresh()
    return roomProgress(learners.all(), (browser) => inspector.browserFlows(browser), learners.since)
  }

  const gridModel = async (fresh: boolean, csrfToken?: string) => ({
    title: 'Teacher',
    learners: await progress(fresh),
    inspector: inspector !== undefined,
    max: learners.max,
    csrfToken,
  })

  // Every teacher's page is sent the same grid: worked out once per change.
  const gridPush: Push = {
    key: 'teacher-grid',
    async render() {
      const html = await app.view('client/teacher-grid', await gridModel(false))
      return { name: 'grid', data: { html } }
    },
  }

  app.get<{ Querystring: TeacherQuery }>('/teacher', async (request, reply) => {
    const fragment = request.query.fragment === '1'
    const model = await gridModel(true, fragment ? undefined : reply.generateCsrf())
    reply.header('cache-control', 'no-store')
    return reply.viewAsync(fragment ? 'client/teacher-grid' : 'client/teacher', model)
  })

  // INSPECTOR=off: no progress is recorded, so there is nothing to push (404).
  if (live !== undefined) app.get('/teacher/events', (request, reply) => openStream(request, reply, live.hub, gridPush))

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
    live?.hub.changed()
    return reply.redirect('/teacher', 303)
  })
}
