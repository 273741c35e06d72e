// The resource server: Step 7 of the flow, plus its RFC 9728 metadata.

import Fastify from 'fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { corsScope, labOriginCheck } from '../shared/cors.js'
import { AJV_OPTIONS, SERVER_LIMITS } from '../shared/fastify-options.js'
import { registerHostAllowList } from '../shared/host-allow-list.js'
import { setUpFlowRecorder } from '../shared/flow-recorder.js'
import { registerLabKey } from '../shared/lab-key.js'
import { registerLabExchangesRoute } from '../shared/lab-exchanges-route.js'
import { healthzRoute } from '../shared/healthz.js'
import { loggerOptions } from '../shared/logging.js'
import type { TokenCheckDeps } from './check-token.js'
import { mcpRoute } from './mcp/mcp-route.js'
import { metadataRoute } from './metadata.js'
import { resourceRoute } from './resource.js'
import { createResourceDpop } from './dpop.js'
import { createTokenChecker } from './verify-token.js'

export interface ResourceServerDeps extends TokenCheckDeps {
  /** Replaces the pino options of `loggerOptions`; tests pass `false`. */
  readonly logger?: FastifyServerOptions['logger']
}

/** Builds the resource server without listening, so tests can use `inject()`. */
export async function buildResourceServer(config: LabConfig, deps: ResourceServerDeps = {}): Promise<FastifyInstance> {
  const logger = deps.logger ?? loggerOptions('resource-server', config.logLevel)
  const app = Fastify({ logger, ...SERVER_LIMITS, ajv: AJV_OPTIONS })
  registerHostAllowList(app, [config.resource.publicUrl, config.resource.internalUrl], config.allowedHosts) // first hook
  app.decorateRequest('accessToken', undefined)
  registerLabKey(app, config.labKey)
  const recorder = setUpFlowRecorder(app, 'resource-server', config.inspector, { timedByFastify: Boolean(logger) })
  if (config.inspector.enabled) registerLabExchangesRoute(app, recorder) // lab only: GET /_lab/exchanges
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  // Built once per app, so the JWKS is fetched once and then cached.
  const checkToken = createTokenChecker(config, deps)
  const dpop = createResourceDpop(config, deps) // RFC 9449 §7: one replay cache and nonce source per server
  // Every route but /_lab/* answers CORS for the clients' web origins: a SPA
  // calls the resource itself and must read its WWW-Authenticate challenge.
  await app.register(async (api) => {
    corsScope(api, labOriginCheck(config.clients))
    await api.register(healthzRoute)
    await api.register(metadataRoute, { config })
    await api.register(resourceRoute, { config, checkToken, dpop })
    await api.register(mcpRoute, { config, checkToken, dpop })
  })
  return app
}

// JSON for every failure, and no stack traces or internals in any response.
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed')
    return reply.code(status).send({ error: 'server_error', error_description: 'the resource server failed to answer' })
  }
  request.log.info({ err: error }, 'bad request')
  // Fastify's own 4xx messages (bad JSON, unsupported media type) are safe to show.
  return reply.code(status).send({ error: 'invalid_request', error_description: error.message })
}

function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0]
  return reply.code(404).send({ error: 'not_found', error_description: `no route for ${request.method} ${path}` })
}
