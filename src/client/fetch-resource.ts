// Step 7: Client uses access token to access protected resource (RFC 6750 §2.1)

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { renderError } from './errors.js'
import { callResource, type Fetch } from './oauth-client.js'
import { resourceAnswerView, tokenView } from './token-view.js'

const fetchResourceBodySchema = {
  type: 'object',
  properties: { _csrf: { type: 'string' } },
} as const

export async function fetchResourceRoute(app: FastifyInstance, opts: { config: LabConfig; fetch: Fetch }): Promise<void> {
  const { config } = opts
  app.post(
    '/fetch-resource',
    {
      schema: { body: fetchResourceBodySchema },
      // The token is read from the form body, so the check runs once the body
      // is parsed (preValidation), not in onRequest where there is no body yet.
      preValidation: app.csrfProtection,
    },
    async (request, reply) => {
      const token = request.session.clientToken
      if (!token) {
        return renderError(reply, 400, 'Connect first', 'This app holds no access token yet: use Connect on the home page first.')
      }
      const result = await callResource(config, opts.fetch, token.access_token)
      if (!result.reachable) {
        return renderError(reply, 502, 'Resource server unreachable', `The request to the resource server failed: ${result.reason}.`)
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
    },
  )
}
