// The lab as a test dependency: start the three servers in this process on
// free ports, drive them, and close them. See the README, "Use it in your tests".

import { createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from './auth-server/app.js'
import { mintAccessToken, planAccessToken } from './auth-server/tokens/access-token.js'
import type { AuthServerHooks, HookName } from './auth-server/lab/hooks.js'
import { addLabClient } from './auth-server/lab/add-client.js'
import { checkNextLogin, type NextLogin } from './auth-server/lab/next-login.js'
import { audienceOf } from './auth-server/resources.js'
import { labPowersOf } from './auth-server/lab/register-lab.js'
import type { Scenarios } from './auth-server/lab/scenarios.js'
import type { RotateOptions, Rotation } from './auth-server/tokens/keys.js'
import { buildClientApp } from './client/app.js'
import { buildResourceServer } from './resource-server/app.js'
import { closeGracefully } from './shared/close.js'
import { createClock, type LabClock } from './shared/clock.js'
import type { ClientInput, ResourceInput, UserInput } from './shared/builtin-data.js'
import type { ScenarioInput } from './shared/scenario-items.js'
import {
  loadConfig,
  type ClientRegistration,
  type LabConfig,
  type ScopeDefinition,
  type UserAccount,
} from './shared/config.js'
import type { SigningAlg, TokenCheck } from './shared/enumerations.js'
import type { RecordedExchange } from './shared/flow-recorder.js'
import { parseScope } from './shared/scope.js'

/**
 * The settings startLab takes: checked and completed exactly like a config
 * file's (the schema, client and user defaults, unique ids, defined scopes),
 * and a problem is refused at start as `startLab options at <pointer>: …`.
 */
export interface LabOptions {
  /** Ports to listen on; 0 or absent: a free port. */
  readonly ports?: { readonly auth?: number; readonly resource?: number; readonly client?: number }
  /**
   * Replace the built-in clients `oauth-client-1` and `oauth-client-public`
   * (the resource server's `oauth-resource-1` stays unless listed), as in a
   * config file: only `clientId` is needed, the rest has defaults.
   */
  readonly clients?: readonly ClientInput[]
  /** Clients added beside those (e.g. one with `accessTokenFormat: 'opaque'`). */
  readonly extraClients?: readonly ClientInput[]
  /** Which registered client the lab's client app is (default `oauth-client-1`), and the scopes it asks for. */
  readonly clientApp?: { readonly clientId?: string; readonly scope?: string }
  /** Replace the built-in users; `sub` defaults to the username. */
  readonly users?: readonly UserInput[]
  readonly scopes?: readonly ScopeDefinition[]
  /**
   * Replace the built-in resource servers (RFC 8707: what `resource` may name,
   * and a token's `aud`); the built-in one at the resource server's URL stays unless listed.
   */
  readonly resources?: readonly ResourceInput[]
  readonly codeTtlSeconds?: number
  readonly accessTokenTtlSeconds?: number
  readonly refreshTokenTtlSeconds?: number
  /** Device grant (RFC 8628): device code lifetime (default 600) and polling interval (default 5), in seconds. */
  readonly deviceCodeTtlSeconds?: number
  readonly devicePollIntervalSeconds?: number
  readonly signingAlg?: SigningAlg
  /** How the resource server checks tokens: locally (`jwt`, default) or with `introspect`. */
  readonly tokenCheck?: TokenCheck
  /** Record exchanges for `requests()` and the flow inspector (default true). */
  readonly inspector?: boolean
  /** Sign every browser in as this user (one of the users) and consent for them: no login or consent page. */
  readonly loginAs?: string
  /** Sign the browser in as the user named by the request's `login_hint`. */
  readonly loginHint?: boolean
  /** pino level; default 'silent' so test output stays clean. */
  readonly logLevel?: string
  /** Open the scenarios admin route `/_lab/scenarios` (LAB_ADMIN=on); default false. */
  readonly admin?: boolean
  /** Hooks to start with; `lab.hooks` changes them later. */
  readonly hooks?: AuthServerHooks
  /** One-shot scenarios armed at start, as `POST /_lab/scenarios` takes them (`lab.reset()` disarms them). */
  readonly scenarios?: readonly ScenarioInput[]
  /** The lab key the `/_lab/*` routes need over HTTP (22 or more printable characters); default: random. */
  readonly labKey?: string
  /** More `host:port` values the servers answer to, besides their own URLs and loopback names. */
  readonly allowedHosts?: readonly string[]
  /** Require server nonces in DPoP proofs at the token endpoint and the resource server (RFC 9449 §8, §9); default false. */
  readonly dpopNonce?: boolean
  /** LAN mode: `on`, an IPv4 address or an interface name (see `--lan`); default off. */
  readonly lan?: string
  /** Workshop mode (WORKSHOP=on): learners join with a name and get a lab user each; the teacher's view at /teacher. Default false. */
  readonly workshop?: boolean
}

export interface IssueTokenOptions {
  readonly sub: string
  readonly clientId?: string
  readonly scope?: string
  /** Extra claims; the RFC 9068 ones (iss, aud, sub, client_id, scope, iat, exp, jti) cannot be overridden. */
  readonly claims?: Readonly<Record<string, unknown>>
  /** Seconds; zero or negative for an already expired token. Default: the configured lifetime. */
  readonly expiresIn?: number
  /** RFC 8707: a registered resource server, the token's `aud`; default the built-in one. An unknown one throws. */
  readonly resource?: string
}

export interface LabRequest {
  readonly server: RecordedExchange['role']
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  readonly status: number
  readonly responseBody?: string
  readonly at: number
}

/** The hooks, plus `once`: a hook for the next matching event only (after the standing hook of its name), then gone. */
export interface LabHooks extends AuthServerHooks {
  once<K extends HookName>(name: K, hook: NonNullable<AuthServerHooks[K]>): void
}

export interface Lab {
  readonly urls: { readonly auth: string; readonly resource: string; readonly client: string }
  readonly config: LabConfig
  /** The lab key: `Authorization: Bearer <labKey>` opens the `/_lab/*` routes. */
  readonly labKey: string
  readonly clock: LabClock
  readonly servers: {
    readonly auth: FastifyInstance
    readonly resource: FastifyInstance
    readonly client: FastifyInstance
  }
  /**
   * Hooks, read at each request: set or unset them at any time, e.g.
   * `lab.hooks.beforeTokenSigning = (claims) => ({ ...claims, roles: ['admin'] })`.
   * `reset()` leaves them in place. `lab.hooks.once(name, fn)`: `fn` runs for the
   * next matching event only (the next access token, ID token or response).
   */
  readonly hooks: LabHooks
  /** One-shot scenarios: failing, slow or denying endpoints and key rotation (also at POST /_lab/scenarios with `admin`). */
  readonly scenarios: Scenarios
  /**
   * An access token as the token endpoint would issue it, without a flow: a
   * JWT, or opaque when the client is registered so; beforeTokenSigning sees it
   * with grantType 'lab'.
   */
  issueToken(options: IssueTokenOptions): Promise<string>
  /**
   * The next sign-in that would show the login page signs `username` in
   * instead (and consents), once; `claims` are merged into that user's claims
   * for the tokens of that login: its access token, ID token and userinfo.
   */
  signInNext(next: NextLogin): void
  /** Adds a user while the lab runs, checked like a config file's user (`sub` defaults to the username). */
  addUser(user: UserInput): UserAccount
  /**
   * Registers a client while the lab runs, written as in a config file (only
   * `clientId` and, for the code flow, `redirectUris` are needed), after the
   * same checks; a problem throws `lab.addClient at <pointer>: <problem>`.
   * Over HTTP: dynamic client registration (`POST /register`).
   */
  addClient(client: ClientInput): ClientRegistration
  /**
   * Rotates the signing keys. `{ publishFirst: true }`: the next keys are in
   * /jwks at once, signing goes on with the current ones until a second call
   * (or `{ promote: true }`). Without options: new keys sign at once.
   */
  rotateKeys(options?: RotateOptions): Promise<Rotation>
  /** Every request each server received, oldest first (like navikt's takeRequest). */
  requests(): LabRequest[]
  /**
   * Forgets sessions, remembered decisions, codes, tokens, recorded requests,
   * armed scenarios, one-shot hooks, the next login, and users and clients added while running.
   */
  reset(): void
  close(): Promise<void>
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * startLab's options as typed overrides on top of the defaults (no file, no
 * environment): the same checks as a config file. Hooks are functions, not
 * settings; undefined means "not given".
 */
function labConfig(options: LabOptions, ports: { auth: number; resource: number; client: number }): LabConfig {
  const given = Object.entries(options).filter(([key, value]) => key !== 'hooks' && value !== undefined)
  const settings = { logLevel: 'silent', ...Object.fromEntries(given), ports }
  return loadConfig({}, { labOptions: { options: settings, label: 'startLab options' } })
}

function toRequest(e: RecordedExchange): LabRequest {
  const headers: Record<string, string> = {}
  for (const [name, value] of e.request.headers) headers[name.toLowerCase()] = value
  return {
    server: e.role,
    method: e.request.method,
    url: e.request.url,
    headers,
    body: e.request.body,
    status: e.response.status,
    responseBody: e.response.body,
    at: e.startedAt,
  }
}

/** Starts the authorization server, resource server and client app on 127.0.0.1. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const host = '127.0.0.1'
  const ports = {
    auth: options.ports?.auth || (await freePort(host)),
    resource: options.ports?.resource || (await freePort(host)),
    client: options.ports?.client || (await freePort(host)),
  }
  const config = labConfig(options, ports)
  const clock = createClock()
  const hooks: AuthServerHooks = { ...options.hooks }
  const auth = await buildAuthServer(config, { now: () => clock.now(), hooks })
  const resource = await buildResourceServer(config, { now: () => new Date(clock.now()) })
  const client = await buildClientApp(config)
  const servers = { auth, resource, client }
  try {
    await auth.listen({ host, port: ports.auth })
    await resource.listen({ host, port: ports.resource })
    await client.listen({ host, port: ports.client })
  } catch (error) {
    await Promise.allSettled([auth.close(), resource.close(), client.close()])
    throw error
  }
  const ctx = auth.oauthLab
  const { scenarios, once, nextLogin } = labPowersOf(auth)
  const labHooks: LabHooks = Object.assign(hooks, {
    once: <K extends HookName>(name: K, hook: NonNullable<AuthServerHooks[K]>) => once.once(name, hook),
  })
  return {
    urls: { auth: config.auth.publicUrl, resource: config.resource.publicUrl, client: config.client.publicUrl },
    config,
    labKey: config.labKey,
    clock,
    servers,
    hooks: labHooks,
    scenarios,
    signInNext(next) {
      const checked = checkNextLogin(next, (name) => ctx.users.byUsername(name))
      if ('problem' in checked) throw new Error(`lab.signInNext: ${checked.problem}`)
      nextLogin.arm(next, checked.user)
    },
    addClient: (client) => addLabClient(ctx, client, 'lab.addClient'),
    addUser: (user) => ctx.users.add(user, (id) => ctx.clients.get(id) !== undefined, 'lab.addUser'),
    rotateKeys: (options) => ctx.keys.rotate(options),
    async issueToken({ sub, clientId = config.client.clientId, scope = 'foo bar', claims, expiresIn, resource }) {
      const audience = audienceOf(config, resource)
      const plan = planAccessToken(clock.now(), expiresIn ?? config.auth.accessTokenTtlSeconds)
      const token = {
        issuer: config.auth.publicUrl,
        audience,
        sub,
        clientId,
        scopes: parseScope(scope),
        extra: claims,
      }
      return mintAccessToken(ctx, plan, token, 'lab')
    },
    requests() {
      return [auth, resource, client]
        .flatMap((app) => app.flowRecorder.since(0))
        .sort((a, b) => a.startedAt - b.startedAt || a.seq - b.seq)
        .map(toRequest)
    },
    reset() {
      scenarios.clear()
      once.clear()
      nextLogin.clear()
      ctx.users.forgetAdded()
      for (const entry of ctx.clients.entries()) if (entry.source === 'added') ctx.clients.remove(entry.client.clientId)
      ctx.store.clear()
      ctx.sessions.clear()
      client.clientSessions.clear()
      for (const app of [auth, resource, client]) app.flowRecorder.clear()
    },
    async close() {
      await Promise.all([client, resource, auth].map((app) => closeGracefully(app)))
    },
  }
}
