// Step 7: Client uses access token to access protected resource (RFC 6750 §2.1)
// In step-through mode, POST /fetch-resource shows the request first; POST /fetch-resource/send sends it.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { renderError } from './errors.js'
import { buildResourceRequest, sendResourceRequest, type BackChannel, type TokenResponse } from './oauth-client.js'
import { step7Preview } from './step-through-view.js'
import { resourceAnswerView, tokenView } from './token-view.js'
import { csrfCheck } from '../shared/session-csrf.js'

/** A form whose only field is its CSRF token. */
export const csrfFormSchema = {
  type: 'object',
  properties: { _csrf: { type: 'string' } },
} as const

function noToken(reply: FastifyReply): Promise<string> {
  return renderError(
    reply,
    400,
    'Connect first',
    'This app holds no access token yet: use Connect on the home page first.',
  )
}

async function showResource(
  reply: FastifyReply,
  config: LabConfig,
  backChannel: BackChannel,
  token: TokenResponse,
): Promise<string> {
  const result = await sendResourceRequest(backChannel, buildResourceRequest(config, token.access_token))
  if (!result.reachable) {
    return renderError(
      reply,
      502,
      'Resource server unreachable',
      `The request to the resource server failed: ${result.reason}.`,
    )
  }
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .viewAsync('client/authenticated', {
      token: tokenView(token),
      csrfToken: reply.generateCsrf(),
      resource: resourceAnswerView(result),
    })
}

/** Step-through mode: the exact step 7 request, built as showResource builds it. */
function previewResourceRequest(reply: FastifyReply, config: LabConfig, token: TokenResponse): Promise<string> {
  const preview = step7Preview(buildResourceRequest(config, token.access_token), reply.generateCsrf())
  return reply.code(200).header('cache-control', 'no-store').viewAsync('client/step-preview', { preview })
}

export async function fetchResourceRoute(
  app: FastifyInstance,
  opts: { config: LabConfig; backChannel: BackChannel },
): Promise<void> {
  const { config } = opts
  // The token is read from the form body, so the CSRF check runs once the body
  // is parsed (preValidation), not in onRequest where there is no body yet.
  const routeOptions = { schema: { body: csrfFormSchema }, preValidation: csrfCheck(app) }
  app.post('/fetch-resource', routeOptions, async (request, reply) => {
    const token = request.session.clientToken
    if (!token) return noToken(reply)
    if (request.session.clientStepThrough) return previewResourceRequest(reply, config, token)
    return showResource(reply, config, opts.backChannel, token)
  })
  // Step-through's "Send": the request just previewed, from the same token.
  app.post('/fetch-resource/send', routeOptions, async (request, reply) => {
    const token = request.session.clientToken
    if (!token) return noToken(reply)
    return showResource(reply, config, opts.backChannel, token)
  })
}
