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
import { registerLabExchangesRoute } from '../shared/lab-exchanges-route.js'
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
import { createUserDirectory } from './account/user-directory.js'
import type { AuthServerContext } from './context.js'
import { introspectRoutes } from './token-lifecycle/introspect.js'
import type { AuthServerHooks } from './lab/hooks.js'
import type { SigningKeys } from './tokens/keys.js'
import { createLab, registerLab } from './lab/register-lab.js'
import { endSessionRoutes } from './oidc/end-session.js'
import { userinfoRoutes } from './oidc/userinfo.js'
import { metadataRoutes } from './metadata.js'
import { renderErrorPage } from './oauth-error.js'
import { revokeRoutes } from './token-lifecycle/revoke.js'
import { registerSession } from './account/sign-in-session.js'
import { StoreFullError } from './store/auth-store.js'
import { openStore } from './store/open-store.js'
import { tokenRoutes } from './token/token-endpoint.js'
import { deviceAuthorizationRoutes } from './device/device-authorization-endpoint.js'
import { deviceVerificationRoutes } from './device/verification-page.js'
import { parRoutes } from './par/par-endpoint.js'
import { registrationRoutes } from './registration/register-routes.js'

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
  const recorder = setUpFlowRecorder(app, 'auth-server', config.inspector, { timedByFastify: Boolean(logger) })
  if (config.inspector.enabled) registerLabExchangesRoute(app, recorder) // lab only: GET /_lab/exchanges
  await registerFormBody(app)
  const { store, sessions, keys, close } = await openStore(config, now, deps.keys)
  app.addHook('onClose', async () => close())
  const users = createUserDirectory(config)
  const lab = createLab(config, { keys, now, hooks: deps.hooks, store, users })
  const ctx: AuthServerContext = {
    config,
    clients: createClientRegistry(config, { store, now }),
    users,
    keys,
    store,
    sessions,
    now,
    extensions: lab.extensions,
  }
  app.decorate('oauthLab', ctx)
  await registerHtml(app, {
    labName: 'oauth-lab · authorization server',
    server: { role: 'auth-server', publicUrl: config.auth.publicUrl },
  })
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
    await pages.register(deviceVerificationRoutes, ctx) // GET|POST /device (RFC 8628 §3.3)
  })
  await app.register(tokenRoutes, ctx) // steps 5-6 (POST /token)
  await app.register(deviceAuthorizationRoutes, ctx) // POST /device_authorization (RFC 8628 §3.1)
  await app.register(parRoutes, ctx) // POST /par (RFC 9126 §2)
  // The token lifecycle around the flow.
  await app.register(introspectRoutes, ctx) // POST /introspect (RFC 7662)
  await app.register(revokeRoutes, ctx) // POST /revoke (RFC 7009)
  // Clients registering themselves: POST /register (RFC 7591), GET|DELETE /register/:id (RFC 7592).
  await app.register(registrationRoutes, ctx)
  // OpenID Connect on top of the same flow.
  await app.register(userinfoRoutes, ctx) // GET|POST /userinfo
  // Lab only, each when its feature is on: POST /_lab/tokens (INSPECTOR), /_lab/scenarios (LAB_ADMIN).
  await registerLab(app, ctx, lab)
  return app
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
  if (error instanceof StoreFullError) {
    request.log.warn({ kind: error.kind }, 'store full')
    return renderErrorPage(
      reply,
      503,
      'The lab is full',
      'The authorization server holds as much as it may; try again later.',
    )
  }
  request.log.error({ err: error }, 'request failed')
  return renderErrorPage(reply, 500, 'Server error', 'Something went wrong on the authorization server.')
}
