// Step 1: Client app redirects resource owner to Authorization server (RFC 6749 §4.1.1)

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { randomSecret } from '../shared/random.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from './oauth-client.js'

export async function connectRoute(app: FastifyInstance, opts: { config: LabConfig }): Promise<void> {
  const { config } = opts
  app.get('/connect', async (request, reply) => {
    // RFC 6749 §10.12 / RFC 9700 §2.1.1: a fresh unguessable state and PKCE
    // verifier per flow, bound to this browser's session. A new Connect
    // replaces any pending flow, so at most one state is ever valid.
    const state = randomSecret()
    const pkce = createPkce()
    request.session.clientPendingFlow = {
      state,
      codeVerifier: pkce.codeVerifier,
      redirectUri: redirectUriOf(config),
    }
    return reply
      .header('cache-control', 'no-store')
      .redirect(buildAuthorizeUrl(config, { state, codeChallenge: pkce.codeChallenge }), 302)
  })
}
