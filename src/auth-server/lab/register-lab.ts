// The lab's test powers, installed in one place: its implementations of the
// extension points (../extensions.ts) and the lab-only /_lab/* routes, each
// only when its feature is on. Without any, the server runs NO_EXTENSIONS and
// has no /_lab/* route but the inspector's /_lab/exchanges (INSPECTOR=on).
// Every /_lab/* route needs the lab key (shared/lab-key.ts), checked before
// its body is read.

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import type { UserDirectory } from '../account/user-directory.js'
import type { AuthServerContext } from '../context.js'
import { NO_EXTENSIONS, type AuthServerExtensions } from '../extensions.js'
import type { AuthStore } from '../store/auth-store.js'
import type { KeyRing } from '../tokens/keys.js'
import { labClientsRoutes } from './clients-admin.js'
import { labExpireDeviceRoute } from './expire-device-route.js'
import { headlessSignIn } from './headless-sign-in.js'
import { claimsHooks, createOnceHooks, responseInterceptor, type AuthServerHooks, type OnceHooks } from './hooks.js'
import { labLearnersRoute } from './learners-route.js'
import { labTokenRoutes } from './mint-token-route.js'
import { createNextLogin, type NextLoginState } from './next-login.js'
import { labNextLoginRoute } from './next-login-route.js'
import { labNextTokenClaimsRoute } from './next-token-claims-route.js'
import { labRotateKeysRoute } from './rotate-keys-route.js'
import { labScenarioRoutes } from './scenario-routes.js'
import { armScenario, createScenarios, type ScenarioState } from './scenarios.js'
import { scenarioGate } from './token-endpoint-gate.js'
import { labUsersRoute } from './users-route.js'

/** What tests drive in process: the server reads them at each request. */
export interface LabPowers {
  /** Mutable: set and unset hooks while the server runs. */
  readonly hooks: AuthServerHooks
  /** Hooks for the next matching event only. */
  readonly once: OnceHooks
  readonly scenarios: ScenarioState
  /** Who signs in next, with which extra claims. */
  readonly nextLogin: NextLoginState
}

export interface LabSetUp {
  readonly extensions: AuthServerExtensions
  /** Present with hooks given to buildAuthServer (the in-process lab) or with LAB_ADMIN=on. */
  readonly powers?: LabPowers
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The in-process lab powers; absent when the server has none. */
    labPowers?: LabPowers
  }
}

export interface LabDeps {
  readonly keys: KeyRing
  readonly now: () => number
  readonly hooks?: AuthServerHooks
  readonly store: AuthStore
  readonly users: UserDirectory
}

/** The extension points of a server with lab powers: next login and hooks on top of the config's headless sign-in. */
function poweredExtensions(
  powers: LabPowers,
  headless: AuthServerExtensions['headlessUser'] | undefined,
  now: () => number,
): AuthServerExtensions {
  const { hooks, once, nextLogin, scenarios } = powers
  const hooked = claimsHooks(hooks, once)
  return {
    ...NO_EXTENSIONS,
    headlessUser: (request) => nextLogin.take(request, now()) ?? headless?.(request),
    tokenEndpointGate: scenarioGate(scenarios),
    claimsBeforeSigning: (kind, claims, context) => hooked(kind, nextLogin.claimsOf(kind, claims, context), context),
    denyAuthorization: () => scenarios.takeDenial(),
    beforeResponse: (route) =>
      responseInterceptor(
        hooks,
        route,
        once,
        route === 'userinfo' ? (response, context) => nextLogin.userinfo(response, context.request) : undefined,
      ),
  }
}

/**
 * The extension points for this configuration. Hooks, scenarios and the next
 * login exist only in process (hooks given), with LAB_ADMIN, or with
 * scenarios armed at start by the configuration; headless
 * sign-in only with AUTO_LOGIN or LOGIN_HINT=on; otherwise each point keeps
 * its no-op default.
 */
export function createLab(config: LabConfig, deps: LabDeps): LabSetUp {
  const headlessUser = headlessSignIn(config, deps.users, deps.now)
  const armedAtStart = (config.auth.scenarios ?? []).length > 0
  const powers: LabPowers | undefined =
    deps.hooks !== undefined || config.auth.labAdmin === true || armedAtStart
      ? {
          hooks: deps.hooks ?? {},
          once: createOnceHooks(),
          scenarios: createScenarios(deps.keys),
          nextLogin: createNextLogin(deps.store),
        }
      : undefined
  if (powers) return { extensions: poweredExtensions(powers, headlessUser, deps.now), powers }
  if (headlessUser) return { extensions: { ...NO_EXTENSIONS, headlessUser } }
  return { extensions: NO_EXTENSIONS }
}

/** The lab-only routes, each only when its feature is on, and `app.labPowers` for in-process tests. */
export async function registerLab(app: FastifyInstance, ctx: AuthServerContext, lab: LabSetUp): Promise<void> {
  if (lab.powers) app.decorate('labPowers', lab.powers)
  // A config file's (or startLab's) `scenarios`, armed in order before the first request.
  for (const scenario of ctx.config.auth.scenarios ?? [])
    if (lab.powers) await armScenario(lab.powers.scenarios, scenario)
  // POST /_lab/tokens: with the flow inspector (INSPECTOR=on, the default).
  if (ctx.config.inspector.enabled) await app.register(labTokenRoutes, ctx)
  // GET|POST /_lab/clients: with the inspector too, like the token minting.
  if (ctx.config.inspector.enabled) await app.register(labClientsRoutes, ctx)
  // POST /_lab/device/expire: with the inspector too (the device walk's Break-it).
  if (ctx.config.inspector.enabled) await app.register(labExpireDeviceRoute, ctx)
  // POST /_lab/learners: a lab user per learner who joins the client app (WORKSHOP=on).
  if (ctx.config.workshop === true) await app.register(labLearnersRoute, ctx)
  // The control routes: off by default (LAB_ADMIN=on).
  if (ctx.config.auth.labAdmin === true && lab.powers) {
    const powers = lab.powers
    await app.register(labScenarioRoutes, { scenarios: powers.scenarios }) // GET|POST /_lab/scenarios
    await app.register(labNextLoginRoute, { ctx, nextLogin: powers.nextLogin }) // POST /_lab/next-login
    await app.register(labUsersRoute, ctx) // POST /_lab/users
    await app.register(labNextTokenClaimsRoute, { once: powers.once }) // POST /_lab/next-token-claims
    await app.register(labRotateKeysRoute, { keys: ctx.keys }) // POST /_lab/keys/rotate
  }
}

/** The lab powers of a server built with hooks or LAB_ADMIN=on. */
export function labPowersOf(app: FastifyInstance): LabPowers {
  if (!app.labPowers) throw new Error('This server has no lab powers: give buildAuthServer hooks, or set LAB_ADMIN=on.')
  return app.labPowers
}
