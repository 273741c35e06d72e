// The client app (:3000): the OAuth client of steps 1, 4-5 and 7 of the seven steps.

import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { AJV_OPTIONS, SERVER_LIMITS } from '../shared/fastify-options.js'
import { registerHostAllowList } from '../shared/host-allow-list.js'
import { setUpFlowRecorder } from '../shared/flow-recorder.js'
import { registerLabKey } from '../shared/lab-key.js'
import { registerLabExchangesRoute } from '../shared/lab-exchanges-route.js'
import { registerFormBody } from '../shared/form-body.js'
import { healthzRoute } from '../shared/healthz.js'
import { registerHtml } from '../shared/html.js'
import { loggerOptions } from '../shared/logging.js'
import { registerSessionWithCsrf } from '../shared/session-csrf.js'
import { createExpiringSessionStore } from '../shared/session-store.js'
import { callbackRoute } from './callback.js'
import { connectRoute } from './connect.js'
import { installErrorHandlers } from './errors.js'
import { fetchResourceRoute } from './fetch-resource.js'
import { flowRoutes } from './flow-routes.js'
import { createLiveInspector } from './flow/push.js'
import { homeRoute } from './home.js'
import { breakItRoutes } from './break-it/routes.js'
import { stepThroughRoutes } from './step-through.js'
import { spaPkceRoutes } from './walks/spa-pkce/spa-routes.js'
import { walkRoutes } from './walks/walk-routes.js'
import { deviceTvRoutes } from './walks/device/tv-route.js'
import { createBackChannel } from './back-channel-http.js'
import { createLearnerRegistry } from './workshop/learners.js'
import { workshopRoutes } from './workshop/workshop-routes.js'
import type { BackChannel, Fetch } from './oauth-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    clientSessions: { clear(): void; size(): number }
  }
}

export interface ClientAppDeps {
  /** Steps 5 and 7 (token endpoint, resource server); default: undici on a keep-alive Agent of this app's own. */
  readonly backChannel?: BackChannel
  /** Break it's little browser and the flow inspector's reads of the other servers; default: global fetch. */
  readonly fetch?: Fetch
  /** Tests pass false; default: loggerOptions('client', config.logLevel). */
  readonly logger?: FastifyServerOptions['logger']
}

/** The default back channel; its Agent's pooled sockets close with the app, so app.close() leaves no open handle. */
function ownBackChannel(app: FastifyInstance): BackChannel {
  const channel = createBackChannel()
  app.addHook('onClose', async () => channel.close())
  return channel.send
}

/**
 * Browsers do not separate cookies by port, and the authorization server on
 * the same host uses `oauth_lab_as_sid`: the names must differ.
 */
export const CLIENT_SESSION_COOKIE = 'oauth_lab_client_sid'

export async function buildClientApp(config: LabConfig, deps: ClientAppDeps = {}): Promise<FastifyInstance> {
  const logger = deps.logger ?? loggerOptions('client', config.logLevel)
  const app = Fastify({ logger, ...SERVER_LIMITS, ajv: AJV_OPTIONS })
  registerHostAllowList(app, [config.client.publicUrl], config.allowedHosts) // first hook
  // Looked up at the first call: touching globalThis.fetch loads Node's fetch, a start-up cost for pages rarely used.
  const fetchFn: Fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const backChannel = deps.backChannel ?? ownBackChannel(app)
  registerLabKey(app, config.labKey)
  const recorder = setUpFlowRecorder(app, 'client', config.inspector, { timedByFastify: Boolean(logger) })
  if (config.inspector.enabled) registerLabExchangesRoute(app, recorder) // lab only: GET /_lab/exchanges

  await registerFormBody(app)
  const sessions = createExpiringSessionStore(
    config.client.sessionTtlSeconds * 1000,
    // Established once it holds a token; before (step 1's pending flow only), short-lived and capped.
    (s) => s.clientToken !== undefined,
  )
  // The test API's lab.reset() forgets the client's sessions too.
  app.decorate('clientSessions', sessions)
  await registerSessionWithCsrf(app, {
    cookieName: CLIENT_SESSION_COOKIE,
    secret: config.client.sessionSecret,
    ttlSeconds: config.client.sessionTtlSeconds,
    store: sessions,
  })
  await registerHtml(app, {
    labName: 'oauth-lab · client app',
    server: { role: 'client', publicUrl: config.client.publicUrl },
  })
  installErrorHandlers(app)

  await app.register(healthzRoute)
  // Workshop mode: who joined from which browser (the home page says so; /join and /teacher keep it).
  const learners = config.workshop === true ? createLearnerRegistry() : undefined
  await app.register(homeRoute, { config, learners, fetch: fetchFn })
  await app.register(connectRoute, { config })
  await app.register(callbackRoute, { config, backChannel, fetch: fetchFn })
  await app.register(fetchResourceRoute, { config, backChannel })
  // One inspector (one collector, one live hub) for /flow, /flow/events and /teacher.
  const live = createLiveInspector(app, config, fetchFn, recorder)
  await app.register(flowRoutes, { config, live })
  await app.register(stepThroughRoutes)
  await app.register(breakItRoutes, { config, fetch: fetchFn })
  await app.register(walkRoutes, { config, fetch: fetchFn }) // GET /walk, /walk/<name>; POST start, next
  await app.register(spaPkceRoutes, { config }) // the SPA walk's own page, run in the browser
  await app.register(deviceTvRoutes, { config, fetch: fetchFn }) // the device walk's TV screen: GET /walk/device/tv
  await app.register(workshopRoutes, { config, fetch: fetchFn, learners, live }) // GET|POST /join, /teacher
  return app
}
