// Home page: explains the flow; its Connect button starts step 1 (GET /connect).

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { redirectUriOf } from './oauth-client.js'

export async function homeRoute(app: FastifyInstance, opts: { config: LabConfig }): Promise<void> {
  const { config } = opts
  app.get('/', async (request, reply) => {
    const token = request.session.clientToken
    // A CSRF secret (and so a session) is only created when a state-changing form is shown.
    if (token) reply.header('cache-control', 'no-store')
    return reply.viewAsync('client/home', {
      clientId: config.client.clientId,
      scope: config.client.scope,
      authorizeEndpoint: `${config.auth.publicUrl}/authorize`,
      redirectUri: redirectUriOf(config),
      accessToken: token?.access_token,
      csrfToken: token ? reply.generateCsrf() : undefined,
    })
  })
}
