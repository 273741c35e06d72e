// The authorization server: steps 1 to 6 of the flow.

import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { AJV_OPTIONS, SERVER_LIMITS } from '../shared/fastify-options.js'
import { registerHostAllowList } from '../shared/host-allow-list.js'
import { setUpFlowRecorder } from '../shared/flow-recorder.js'
import { registerLabKey } from '../shared/lab-key.js'
import { registerFormBody } from '../shared/form-body.js'
import { healthzRoute } from '../shared/healthz.js'
import { registerHtml } from '../shared/html.js'
import { loggerOptions } from '../shared/logging.js'
import { accountRoutes } from './account/account-grants.js'
import { authorizeRoutes } from './authorize/authorization-endpoint.js'
import { consentRoutes } from './authorize/consent.js'
import { loginRoutes } from './authorize/login.js'
import { createClientRegistry } from './clients.js'
import type { AuthServerContext } from './context.js'
import { introspectRoutes } from './token-lifecycle/introspect.js'
import type { AuthServerHooks } from './lab/hooks.js'
import {
  createKeyRing,
  exportSigningKeys,
  generateSigningKeys,
  importSigningKeys,
  type KeyRing,
  type SigningKeys,
} from './tokens/keys.js'
import { labScenarioRoutes } from './lab/scenario-routes.js'
import { labTokenRoutes } from './lab/mint-token-route.js'
import { endSessionRoutes } from './oidc/end-session.js'
import { userinfoRoutes } from './oidc/userinfo.js'
import { metadataRoutes } from './metadata.js'
import { renderErrorPage } from './oauth-error.js'
import { revokeRoutes } from './token-lifecycle/revoke.js'
import { createScenarios } from './lab/scenarios.js'
import { createSessionStore, registerSession } from './account/sign-in-session.js'
import { createSqliteSessionStore } from './store/sqlite-session-store.js'
import { createSqliteStore, type SqliteAuthStore } from './store/sqlite-store.js'
import { createMemoryStore, type AuthStore } from './store/memory-store.js'
import { tokenRoutes } from './token/token-endpoint.js'

export interface AuthServerDeps {
  /** Milliseconds since the epoch; tests move it to expire codes and tokens. */
  readonly now?: () => number
  readonly keys?: SigningKeys
  readonly logger?: FastifyServerOptions['logger']
  /** In-process hooks; the object is read at each request, so later changes to it apply. */
  readonly hooks?: AuthServerHooks
}

declare module 'fastify' {
  interface FastifyInstance {
    oauthLab: AuthServerContext
  }
}

export async function buildAuthServer(config: LabConfig, deps: AuthServerDeps = {}): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now
  const logger = deps.logger ?? loggerOptions('auth-server', config.logLevel)
  const app = Fastify({
    logger,
    // Never trust X-Forwarded-*: no URL the server builds depends on the request.
    trustProxy: false,
    ...SERVER_LIMITS,
    routerOptions: { maxParamLength: 200 },
    ajv: AJV_OPTIONS,
  })
  registerHostAllowList(app, [config.auth.publicUrl, config.auth.internalUrl], config.allowedHosts) // first hook
  registerLabKey(app, config.labKey)
  setUpFlowRecorder(app, 'auth-server', config.inspector, { timedByFastify: Boolean(logger) })
  await registerFormBody(app)
  const storeConfig = config.auth.store ?? { kind: 'memory' }
  let store: AuthStore
  let sessions: ReturnType<typeof createSessionStore> | ReturnType<typeof createSqliteSessionStore>
  let keys: KeyRing
  if (storeConfig.kind === 'sqlite') {
    const durable = createSqliteStore(storeConfig.path, now)
    app.addHook('onClose', async () => durable.close())
    store = durable
    sessions = createSqliteSessionStore(durable.db, config.auth.sessionTtlSeconds * 1000, now)
    keys = await durableKeyRing(durable, config, deps.keys)
  } else {
    store = createMemoryStore(now)
    sessions = createSessionStore(config.auth, now)
    keys = createKeyRing(deps.keys ?? (await generateSigningKeys(config.auth.signingAlg)))
  }
  const ctx: AuthServerContext = {
    config,
    clients: createClientRegistry(config),
    keys,
    store,
    sessions,
    now,
    hooks: deps.hooks ?? {},
    scenarios: createScenarios(keys),
  }
  app.decorate('oauthLab', ctx)
  await registerHtml(app, { labName: 'oauth-lab · authorization server' })
  app.setErrorHandler(htmlErrorHandler)
  app.setNotFoundHandler((_request, reply) =>
    renderErrorPage(reply, 404, 'Not found', 'There is no page at this address.'),
  )

  await app.register(healthzRoute)
  await app.register(metadataRoutes, ctx)
  // The pages the browser sees, with the user's session and CSRF protection.
  await app.register(async (pages) => {
    await registerSession(pages, config.auth, sessions)
    // The flow, in step order.
    await pages.register(authorizeRoutes, ctx) // step 1 (GET /authorize)
    await pages.register(loginRoutes, ctx) // step 2 (POST /login)
    await pages.register(consentRoutes, ctx) // steps 3-4 (POST /consent)
    await pages.register(accountRoutes, ctx) // GET /account/grants, POST /logout
    await pages.register(endSessionRoutes, ctx) // GET /end-session (OpenID Connect)
  })
  await app.register(tokenRoutes, ctx) // steps 5-6 (POST /token)
  // The token lifecycle around the flow.
  await app.register(introspectRoutes, ctx) // POST /introspect (RFC 7662)
  await app.register(revokeRoutes, ctx) // POST /revoke (RFC 7009)
  // OpenID Connect on top of the same flow.
  await app.register(userinfoRoutes, ctx) // GET|POST /userinfo
  if (config.inspector.enabled) await app.register(labTokenRoutes, ctx) // lab only: POST /_lab/tokens
  if (config.auth.labAdmin === true) await app.register(labScenarioRoutes, ctx) // lab only, off by default: /_lab/scenarios
  return app
}

/** The signing keys of a durable store: reloaded if stored (same kid after a restart), else made and saved. */
async function durableKeyRing(
  store: SqliteAuthStore,
  config: LabConfig,
  given: SigningKeys | undefined,
): Promise<KeyRing> {
  const save = async (current: SigningKeys, previous?: SigningKeys) =>
    store.saveSigningKeys([await exportSigningKeys(current), ...(previous ? [await exportSigningKeys(previous)] : [])])
  // Keys handed in (tests) are used as they are, not stored.
  if (given !== undefined) return createKeyRing(given)
  const stored = store.loadSigningKeys()
  if (stored[0] !== undefined && stored[0].alg === config.auth.signingAlg) {
    const current = await importSigningKeys(stored[0])
    const previous = stored[1] && (await importSigningKeys(stored[1]))
    return createKeyRing(current, { ...(previous ? { previous } : {}), onRotate: save })
  }
  const initial = await generateSigningKeys(config.auth.signingAlg)
  await save(initial)
  return createKeyRing(initial, { onRotate: save })
}

/** HTML routes: a clear page of the right status, never a stack trace. */
async function htmlErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500
  if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
    return renderErrorPage(
      reply,
      403,
      'Request refused',
      'The form was missing its CSRF token or it did not match. Reload the page and try again.',
    )
  }
  if (error.validation) return renderErrorPage(reply, 400, 'Bad request', `The request is not valid: ${error.message}.`)
  if (status < 500) return renderErrorPage(reply, status, 'Bad request', 'The request could not be processed.')
  request.log.error({ err: error }, 'request failed')
  return renderErrorPage(reply, 500, 'Server error', 'Something went wrong on the authorization server.')
}
