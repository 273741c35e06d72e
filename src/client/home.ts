// Home page: explains the flow; its Connect button starts step 1 (GET /connect).
// It also carries the teaching tools: the step-through switch and a link to "Break it".

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { redirectUriOf, type Fetch } from './oauth-client.js'
import { walkCallback } from './walks/walk-callback.js'
import { learnerOf } from './workshop/join-routes.js'
import type { LearnerRegistry } from './workshop/learners.js'

export async function homeRoute(
  app: FastifyInstance,
  opts: { config: LabConfig; learners?: LearnerRegistry | undefined; fetch: Fetch },
): Promise<void> {
  const { config, learners } = opts
  app.get('/', async (request, reply) => {
    // A walk-through's logout comes back here, its post_logout_redirect_uri, with
    // the walk's state (OIDC RP-Initiated Logout 1.0 §3): the walk goes on.
    const state = (request.query as { state?: unknown } | undefined)?.state
    if (typeof state === 'string' && (await walkCallback(request, reply, config, opts.fetch, { state }))) return reply
    const token = request.session.clientToken
    const stepThrough = request.session.clientStepThrough
    // A CSRF secret (and so a session) is only created when a state-changing
    // form is shown: for a token, or once a step-through choice was saved.
    const hasForms = token !== undefined || stepThrough !== undefined
    if (hasForms) reply.header('cache-control', 'no-store')
    return reply.viewAsync('client/home', {
      clientId: config.client.clientId,
      scope: config.client.scope,
      authorizeEndpoint: `${config.auth.publicUrl}/authorize`,
      redirectUri: redirectUriOf(config),
      accessToken: token?.access_token,
      stepThrough: stepThrough === true,
      csrfToken: hasForms ? reply.generateCsrf() : undefined,
      // Workshop mode: a new browser is asked to join; a learner sees whom they sign in as.
      workshop: learners === undefined ? undefined : { learner: learnerOf(request, learners) },
    })
  })
}
