// Workshop mode (WORKSHOP=on): the join routes and the teacher's view, one
// registration for the client app. Outside workshop mode none of them exists
// (404), and nothing else changes.

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import type { LiveInspector } from '../flow/push.js'
import type { Fetch } from '../oauth-client.js'
import { joinRoutes } from './join-routes.js'
import type { LearnerRegistry } from './learners.js'
import { teacherRoutes } from './teacher-routes.js'

export async function workshopRoutes(
  app: FastifyInstance,
  opts: { config: LabConfig; fetch: Fetch; learners?: LearnerRegistry; live?: LiveInspector },
): Promise<void> {
  const { learners } = opts
  if (opts.config.workshop !== true || learners === undefined) return
  await app.register(joinRoutes, { config: opts.config, fetch: opts.fetch, learners, live: opts.live })
  await app.register(teacherRoutes, { config: opts.config, fetch: opts.fetch, learners, live: opts.live })
}
