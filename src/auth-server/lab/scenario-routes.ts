// Lab only, off by default (LAB_ADMIN=on, or startLab({ admin: true })): arm the
// one-shot scenarios of scenarios.ts over HTTP, so tests in any language and a
// teacher's browser can use them. Without LAB_ADMIN the route does not exist (404).
// A lab power: only the lab key opens it.

import type { FastifyError, FastifyInstance } from 'fastify'
import { requireLabKey } from '../../shared/lab-key.js'
import { OAuthError, sendJsonError } from '../oauth-error.js'
import {
  MAX_COUNT,
  MAX_DELAY_MS,
  SCENARIO_FIELDS as FIELDS,
  SCENARIO_TYPES as TYPES,
  TOKEN_FAILURE_ERRORS,
  type ScenarioInput as ScenarioBody,
} from '../../shared/scenario-items.js'
import { armScenario, type Scenarios } from './scenarios.js'

const scenarioSchema = {
  body: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { type: 'string', enum: TYPES },
      count: { type: 'integer', minimum: 1, maximum: MAX_COUNT },
      error: { type: 'string', enum: TOKEN_FAILURE_ERRORS },
      // RFC 6749 §5.2: error_description is printable ASCII without " and \.
      description: { type: 'string', maxLength: 500, pattern: '^[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*$' },
      ms: { type: 'integer', minimum: 0, maximum: MAX_DELAY_MS },
    },
    // A conditional requirement: a delay needs its length.
    if: { properties: { type: { const: 'delay-token-endpoint' } } },
    then: { required: ['ms'] },
  },
} as const

export async function labScenarioRoutes(
  app: FastifyInstance,
  { scenarios }: { readonly scenarios: Scenarios },
): Promise<void> {
  // Before anything else, body included: a caller without the key learns nothing.
  app.addHook('onRequest', requireLabKey)
  // JSON errors here (these are API routes), never the HTML error page.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof OAuthError) return sendJsonError(reply, error)
    return sendJsonError(
      reply,
      new OAuthError('invalid_request', error.message, error.statusCode === 415 ? { status: 415 } : {}),
    )
  })
  // JSON only: a cross-site page cannot send it without a CORS preflight, which is never granted.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'])
  // Fastify's Ajv strips unknown properties rather than refusing them, so
  // they are checked against the raw JSON before validation.
  app.addHook('preValidation', async (request) => {
    const body = request.body as Record<string, unknown> | null | undefined
    if (request.method !== 'POST') return
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new OAuthError('invalid_request', 'The body must be a JSON object.')
    const allowed = FIELDS[body.type as (typeof TYPES)[number]]
    const extra = allowed && Object.keys(body).filter((k) => k !== 'type' && !allowed.includes(k))
    if (extra && extra.length > 0)
      throw new OAuthError('invalid_request', `Unknown field for ${String(body.type)}: ${extra.join(', ')}.`)
  })
  app.get('/_lab/scenarios', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send(scenarios.armed()),
  )
  app.post<{ Body: ScenarioBody }>('/_lab/scenarios', { schema: scenarioSchema }, async (request, reply) => {
    await armScenario(scenarios, request.body)
    return reply.header('cache-control', 'no-store').send(scenarios.armed())
  })
}
