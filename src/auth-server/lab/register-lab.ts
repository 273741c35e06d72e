// The lab's test powers, installed in one place: its implementations of the
// extension points (../extensions.ts) and the lab-only /_lab/* routes, each
// only when its feature is on. Without any, the server runs NO_EXTENSIONS and
// has no /_lab/* route but the inspector's /_lab/exchanges (INSPECTOR=on).
// Every /_lab/* route needs the lab key (shared/lab-key.ts), checked before
// its body is read.

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import type { AuthServerContext } from '../context.js'
import { NO_EXTENSIONS, type AuthServerExtensions } from '../extensions.js'
import type { KeyRing } from '../tokens/keys.js'
import { labClientsRoutes } from './clients-admin.js'
import { headlessSignIn } from './headless-sign-in.js'
import { claimsHooks, responseInterceptor, type AuthServerHooks } from './hooks.js'
import { labTokenRoutes } from './mint-token-route.js'
import { labScenarioRoutes } from './scenario-routes.js'
import { createScenarios, type ScenarioState } from './scenarios.js'
import { scenarioGate } from './token-endpoint-gate.js'

/** What tests drive in process: the server reads both at each request. */
export interface LabPowers {
  /** Mutable: set and unset hooks while the server runs. */
  readonly hooks: AuthServerHooks
  readonly scenarios: ScenarioState
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

/**
 * The extension points for this configuration. Hooks and scenarios exist only
 * in process (hooks given) or with LAB_ADMIN; headless sign-in only with
 * AUTO_LOGIN or LOGIN_HINT=on; otherwise each point keeps its no-op default.
 */
export function createLab(
  config: LabConfig,
  deps: { readonly keys: KeyRing; readonly now: () => number; readonly hooks?: AuthServerHooks },
): LabSetUp {
  const headlessUser = headlessSignIn(config, deps.now)
  const powers: LabPowers | undefined =
    deps.hooks !== undefined || config.auth.labAdmin === true
      ? { hooks: deps.hooks ?? {}, scenarios: createScenarios(deps.keys) }
      : undefined
  if (!headlessUser && !powers) return { extensions: NO_EXTENSIONS }
  const extensions: AuthServerExtensions = {
    ...NO_EXTENSIONS,
    ...(headlessUser ? { headlessUser } : {}),
    ...(powers
      ? {
          tokenEndpointGate: scenarioGate(powers.scenarios),
          claimsBeforeSigning: claimsHooks(powers.hooks),
          denyAuthorization: () => powers.scenarios.takeDenial(),
          beforeResponse: (route) => responseInterceptor(powers.hooks, route),
        }
      : {}),
  }
  return { extensions, ...(powers ? { powers } : {}) }
}

/** The lab-only routes, each only when its feature is on, and `app.labPowers` for in-process tests. */
export async function registerLab(app: FastifyInstance, ctx: AuthServerContext, lab: LabSetUp): Promise<void> {
  if (lab.powers) app.decorate('labPowers', lab.powers)
  // POST /_lab/tokens: with the flow inspector (INSPECTOR=on, the default).
  if (ctx.config.inspector.enabled) await app.register(labTokenRoutes, ctx)
  // GET|POST /_lab/clients: with the inspector too, like the token minting.
  if (ctx.config.inspector.enabled) await app.register(labClientsRoutes, ctx)
  // GET|POST /_lab/scenarios: off by default (LAB_ADMIN=on).
  if (ctx.config.auth.labAdmin === true && lab.powers)
    await app.register(labScenarioRoutes, { scenarios: lab.powers.scenarios })
}

/** The lab powers of a server built with hooks or LAB_ADMIN=on. */
export function labPowersOf(app: FastifyInstance): LabPowers {
  if (!app.labPowers) throw new Error('This server has no lab powers: give buildAuthServer hooks, or set LAB_ADMIN=on.')
  return app.labPowers
}
