// Workshop mode: GET /join asks a new browser for a display name; POST /join
// (CSRF-protected) gives it a lab user of its own on the authorization server
// and shows the username and password to type at step 2. The browser is
// known by the inspector's `oauth_lab_browser` id, issued here when it has
// none, so the flows it runs next are its own (flow/visibility.ts).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import { BROWSER_COOKIE, browserHash, isBrowserId, recordAsBrowser } from '../../shared/flow-masking.js'
import { randomSecret } from '../../shared/random.js'
import { csrfCheck } from '../../shared/session-csrf.js'
import type { LiveInspector } from '../flow/push.js'
import type { Fetch } from '../oauth-client.js'
import { checkDisplayName, MAX_NAME_LENGTH } from './display-name.js'
import type { Learner, LearnerRegistry } from './learners.js'
import { provisionLearner, ProvisionError } from './provision.js'

const JOIN_FORM = {
  type: 'object',
  properties: { _csrf: { type: 'string' }, name: { type: 'string', maxLength: 1000 } },
} as const

interface JoinForm {
  readonly _csrf?: string
  readonly name?: string
}

/** This browser's hash; a browser without an id gets one with this very answer (set-cookie in onSend). */
const issued = new WeakMap<FastifyRequest, string>()
function browserFor(request: FastifyRequest): string {
  const existing = request.cookies[BROWSER_COOKIE]
  if (isBrowserId(existing)) return browserHash(existing)
  const id = randomSecret()
  issued.set(request, id)
  recordAsBrowser(request, id)
  return browserHash(id)
}

/** The learner of this browser, if it joined. */
export function learnerOf(request: FastifyRequest, learners: LearnerRegistry): Learner | undefined {
  const id = request.cookies[BROWSER_COOKIE]
  return isBrowserId(id) ? learners.byBrowser(browserHash(id)) : undefined
}

function joinPage(
  reply: FastifyReply,
  status: number,
  model: { learner?: Learner; problem?: string; name?: string },
): Promise<string> {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .viewAsync('client/join', {
      maxName: MAX_NAME_LENGTH,
      ...model,
      csrfToken: model.learner === undefined ? reply.generateCsrf() : undefined,
    })
}

export async function joinRoutes(
  app: FastifyInstance,
  opts: { config: LabConfig; fetch: Fetch; learners: LearnerRegistry; live: LiveInspector | undefined },
): Promise<void> {
  const { config, learners } = opts
  // After the session's hook (a hook of this plugin): the session cookie stays the first Set-Cookie.
  app.addHook('onSend', (request, reply, payload, done) => {
    const id = issued.get(request)
    if (id !== undefined) reply.header('set-cookie', `${BROWSER_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`)
    done(null, payload)
  })

  app.get('/join', async (request, reply) => {
    const learner = learnerOf(request, learners)
    return joinPage(reply, 200, learner === undefined ? {} : { learner })
  })

  app.post<{ Body: JoinForm }>(
    '/join',
    { schema: { body: JOIN_FORM }, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const already = learnerOf(request, learners)
      if (already !== undefined) return joinPage(reply, 200, { learner: already })
      const checked = checkDisplayName(request.body.name)
      if ('problem' in checked)
        return joinPage(reply, 400, { problem: checked.problem, name: (request.body.name ?? '').slice(0, 200) })
      if (learners.size >= learners.max)
        return joinPage(reply, 409, { problem: 'The room is full: ask the teacher.', name: checked.name })
      try {
        const user = await provisionLearner(config, opts.fetch, checked.name)
        const learner: Learner = {
          name: checked.name,
          username: user.username,
          password: user.password,
          browser: browserFor(request),
          joinedAt: Date.now(),
        }
        if (!learners.add(learner))
          return joinPage(reply, 409, { problem: 'The room is full: ask the teacher.', name: checked.name })
        // The teacher's grid has one more row.
        opts.live?.hub.changed()
        return joinPage(reply, 200, { learner })
      } catch (error) {
        if (!(error instanceof ProvisionError)) throw error
        return joinPage(reply, error.roomFull ? 409 : 502, { problem: error.message, name: checked.name })
      }
    },
  )
}
