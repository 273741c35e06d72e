// Step 1: Client app redirects resource owner to Authorization server (RFC 6749 §4.1.1)
// In step-through mode, GET /connect shows the redirect first; GET /connect/send answers it.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { randomSecret } from '../shared/random.js'
import { s256Challenge } from '../shared/sha256.js'
import { renderError } from './errors.js'
import { registerBrowserIdCookie, startFlow } from './flow/browser-id.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from './oauth-client.js'
import type { PendingFlow } from './client-session.js'
import { step1Preview } from './step-through-view.js'
import { STEP_THROUGH_CODE_LIFETIME_SECONDS } from '../shared/step-through-code.js'

/** Step 1's URL, rebuilt from the pending flow: what is previewed is what is sent. */
function authorizeUrlOf(config: LabConfig, pending: PendingFlow): string {
  return buildAuthorizeUrl(config, {
    state: pending.state,
    codeChallenge: s256Challenge(pending.codeVerifier),
    ...(pending.codeLifetime === undefined ? {} : { codeLifetime: pending.codeLifetime }),
  })
}

function redirectToAuthorize(reply: FastifyReply, url: string): FastifyReply {
  return reply.header('cache-control', 'no-store').redirect(url, 302)
}

export async function connectRoute(app: FastifyInstance, opts: { config: LabConfig }): Promise<void> {
  const { config } = opts
  // The inspector's browser id: only when there is an inspector to show flows in.
  if (config.inspector.enabled) registerBrowserIdCookie(app)
  app.get('/connect', async (request, reply) => {
    // The flow inspector will show this flow to this browser only.
    startFlow(request)
    // RFC 6749 §10.12 / RFC 9700 §2.1.1: a fresh unguessable state and PKCE
    // verifier per flow, bound to this browser's session. A new Connect
    // replaces any pending flow, so at most one state is ever valid.
    const stepThrough = request.session.clientStepThrough === true
    const pending: PendingFlow = {
      state: randomSecret(),
      codeVerifier: createPkce().codeVerifier,
      redirectUri: redirectUriOf(config),
      // Step-through mode asks for a code that outlives a teacher's explanation of step 4.
      ...(stepThrough ? { codeLifetime: STEP_THROUGH_CODE_LIFETIME_SECONDS } : {}),
    }
    request.session.clientPendingFlow = pending
    delete request.session.clientPendingTokenRequest
    const url = authorizeUrlOf(config, pending)
    if (!stepThrough) return redirectToAuthorize(reply, url)
    return reply.header('cache-control', 'no-store').viewAsync('client/step-preview', { preview: step1Preview(url) })
  })

  // Step-through's "Send": the very redirect the preview showed. A GET like
  // /connect itself: it only reads the pending flow, which the callback consumes.
  app.get('/connect/send', async (request, reply) => {
    const pending = request.session.clientPendingFlow
    if (!pending) {
      return renderError(
        reply,
        400,
        'Nothing to send',
        'No step 1 is waiting: it was already completed, or Connect was not pressed.',
      )
    }
    return redirectToAuthorize(reply, authorizeUrlOf(config, pending))
  })
}
