// What a schema cannot say, checked on the settings once every source is
// merged (so that, say, AUTO_LOGIN is checked against the file's users): each
// problem names the setting and a JSON pointer inside it, and the source that
// gave the setting reports it in its own words (config-layers.ts).

import {
  BUILTIN_CLIENT_ID,
  BUILTIN_RESOURCE_CLIENT_ID,
  BUILTIN_SCOPES,
  BUILTIN_USERS,
  OIDC_SCOPES,
  REQUIRED_SCOPE,
  registeredClients,
  registeredResources,
  type ClientInput,
} from './builtin-data.js'
import { urlOf } from './config-build.js'
import { webOriginProblem } from './cors.js'
import { resourceIdentifierProblem } from './resource-identifier.js'
import { scenarioProblems } from './scenario-items.js'
import { SETTINGS, type SettingId, type SettingInput } from './settings.js'

export interface SettingIssue {
  readonly id: SettingId
  /** A JSON pointer inside the setting's value ('' for the value itself). */
  readonly path: string
  readonly problem: string
}

/** RFC 6749 §3.1.2: an absolute URI without a fragment. */
function redirectUriProblem(raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'must be an absolute URL (RFC 6749 section 3.1.2)'
  }
  if (raw.includes('#') || url.hash) return 'must not have a fragment (RFC 6749 section 3.1.2)'
  return undefined
}

const WEB_SCHEMES = new Set(['http:', 'https:'])

/**
 * A redirect URI's scheme: http(s) for every client; a private-use scheme
 * (RFC 8252 §7.1: a reverse domain name, so with a dot, e.g.
 * com.example.app:/callback) only for a public client, since any app on the
 * device may claim one and only a native app, a public client (RFC 8252
 * §8.4), should use it. Anything else (javascript:, data:, a scheme without a
 * dot) is refused.
 */
function redirectSchemeProblem(raw: string, publicClient: boolean): string | undefined {
  const { protocol } = new URL(raw)
  if (WEB_SCHEMES.has(protocol)) return undefined
  if (!protocol.includes('.'))
    return 'must be http, https or a private-use scheme named after a reverse domain name such as com.example.app (RFC 8252 section 7.1)'
  if (!publicClient)
    return 'a private-use scheme is for native apps, which are public clients: this client has a clientSecret (RFC 8252 sections 7.1 and 8.4)'
  return undefined
}

function duplicates(
  id: SettingId,
  values: readonly string[],
  path: (i: number) => string,
  what: string,
): SettingIssue[] {
  // Lists sit at the same pointer in a file and in startLab options (extraClients: options only).
  const base = SETTINGS[id].file ?? SETTINGS[id].option ?? ''
  const first = new Map<string, number>()
  const issues: SettingIssue[] = []
  values.forEach((value, index) => {
    const earlier = first.get(value)
    if (earlier === undefined) first.set(value, index)
    else
      issues.push({ id, path: path(index), problem: `duplicate ${what} "${value}" (also at ${base}${path(earlier)})` })
  })
  return issues
}

function scopeIssues(v: SettingInput): SettingIssue[] {
  if (!v.scopes) return []
  const names = v.scopes.map((s) => s.name)
  const issues = duplicates('scopes', names, (i) => `/${i}/name`, 'scope')
  if (!names.includes(REQUIRED_SCOPE))
    issues.push({ id: 'scopes', path: '', problem: `must define "${REQUIRED_SCOPE}": the resource server requires it` })
  return issues
}

function userIssues(v: SettingInput): SettingIssue[] {
  if (!v.users) return []
  return [
    ...duplicates(
      'users',
      v.users.map((u) => u.username),
      (i) => `/${i}/username`,
      'username',
    ),
    ...duplicates(
      'users',
      v.users.map((u) => u.sub ?? u.username),
      (i) => `/${i}`,
      'sub',
    ),
  ]
}

/** One client's own rules; `known` scopes and user `subs` come from the merged settings. */
export function clientIssues(
  id: SettingId,
  client: ClientInput,
  at: string,
  known: Set<string>,
  subs: Set<string>,
): SettingIssue[] {
  const issues: SettingIssue[] = []
  const add = (path: string, problem: string) => issues.push({ id, path: `${at}${path}`, problem })
  client.redirectUris?.forEach((uri, j) => {
    const problem = redirectUriProblem(uri) ?? redirectSchemeProblem(uri, client.clientSecret === undefined)
    if (problem) add(`/redirectUris/${j}`, problem)
  })
  client.postLogoutRedirectUris?.forEach((uri, j) => {
    const problem = redirectUriProblem(uri)
    if (problem) add(`/postLogoutRedirectUris/${j}`, problem)
  })
  client.webOrigins?.forEach((origin, j) => {
    const problem = webOriginProblem(origin)
    if (problem) add(`/webOrigins/${j}`, problem)
  })
  client.scopes?.forEach((scope, j) => {
    if (!known.has(scope)) add(`/scopes/${j}`, `scope "${scope}" is not defined in scopes`)
  })
  // RFC 9700 §4.15.1: a client_credentials token must never pass for a user's.
  if (subs.has(client.clientId))
    add('/clientId', `"${client.clientId}" is also a user's sub; they must differ (RFC 9700 section 4.15.1)`)
  const methods = client.tokenEndpointAuthMethods
  if (client.clientSecret === undefined) {
    // RFC 6749 §2.1: a public client cannot authenticate with a secret.
    if (methods && methods.some((m) => m !== 'none'))
      add('/tokenEndpointAuthMethods', 'a client without clientSecret can only use "none"')
    // RFC 9700 §2.1.1: public clients must use PKCE.
    if (client.requirePkce === false) add('/requirePkce', 'a public client (no clientSecret) must use PKCE')
  } else if (methods?.includes('none')) {
    add('/tokenEndpointAuthMethods', 'a client with a clientSecret cannot use "none"')
  }
  const grants = client.grantTypes ?? ['authorization_code']
  // RFC 6749 §3.1.2.2: the authorization code grant needs a registered redirect URI.
  if (!client.introspectionOnly && grants.includes('authorization_code') && (client.redirectUris ?? []).length === 0)
    add('', 'needs at least one redirectUris entry for the authorization_code grant')
  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  if (client.clientSecret === undefined && client.grantTypes?.includes('client_credentials'))
    add('/grantTypes', 'a public client cannot use client_credentials')
  // The resource server authenticates with this client's secret in introspection mode.
  if (client.clientId === BUILTIN_RESOURCE_CLIENT_ID && client.clientSecret === undefined)
    add('', `${BUILTIN_RESOURCE_CLIENT_ID} is the resource server's introspection client: it needs a clientSecret`)
  return issues
}

/** The client app signs in with client_secret_basic: its client must exist and be confidential. */
function clientAppIssues(v: SettingInput): SettingIssue[] {
  if (!v.clients && !v.clientAppId) return []
  const id = v.clientAppId ?? BUILTIN_CLIENT_ID
  const app = registeredClients(v.clients, v.extraClients ?? [], '').find((c) => c.clientId === id)
  const where: SettingId = v.clientAppId ? 'clientAppId' : 'clients'
  if (!app)
    return [
      { id: where, path: '', problem: `the client app is "${id}", which is not in clients (set clientApp.clientId)` },
    ]
  if (app.clientSecret === undefined)
    return [{ id: where, path: '', problem: `the client app's client "${id}" needs a clientSecret` }]
  return []
}

function loginIssues(v: SettingInput): SettingIssue[] {
  const usernames = (v.users ?? BUILTIN_USERS).map((u) => u.username)
  if (v.autoLogin === undefined || usernames.includes(v.autoLogin)) return []
  return [{ id: 'autoLogin', path: '', problem: `must name a user (${usernames.join(', ')})` }]
}

/** RFC 8707 §2: each identifier an absolute URI without fragment, unique; each scope a defined one. */
function resourceIssues(v: SettingInput): SettingIssue[] {
  if (!v.resources) return []
  const defined = new Set((v.scopes ?? BUILTIN_SCOPES).map((s) => s.name))
  const issues = duplicates(
    'resources',
    v.resources.map((r) => r.identifier),
    (i) => `/${i}/identifier`,
    'resource identifier',
  )
  v.resources.forEach((resource, i) => {
    const problem = resourceIdentifierProblem(resource.identifier)
    if (problem) issues.push({ id: 'resources', path: `/${i}/identifier`, problem })
    resource.scopes.forEach((scope, j) => {
      if (!defined.has(scope))
        issues.push({
          id: 'resources',
          path: `/${i}/scopes/${j}`,
          problem: `scope "${scope}" is not defined in scopes`,
        })
    })
  })
  return issues
}

/**
 * RFC 8693 §2.1: a client's token exchange audiences are registered resource
 * servers (RFC 8707), and only a confidential client may exchange (the grant
 * relies on client authentication). `at` points at the client.
 */
export function tokenExchangeClientIssues(
  id: SettingId,
  client: ClientInput,
  at: string,
  registered: ReadonlySet<string>,
): SettingIssue[] {
  const policy = client.tokenExchange
  if (policy === undefined) return []
  const issues: SettingIssue[] = []
  policy.audiences.forEach((audience, j) => {
    if (!registered.has(audience))
      issues.push({
        id,
        path: `${at}/tokenExchange/audiences/${j}`,
        problem: `"${audience}" is not a registered resource server (resources)`,
      })
  })
  if (client.clientSecret === undefined)
    issues.push({ id, path: `${at}/tokenExchange`, problem: 'a public client cannot exchange tokens (RFC 8693)' })
  return issues
}

function tokenExchangeIssues(v: SettingInput): SettingIssue[] {
  const registered = new Set(
    registeredResources(v.resources, urlOf(v, 'resourcePublicUrl'), v.scopes ?? BUILTIN_SCOPES).map(
      (r) => r.identifier,
    ),
  )
  return [
    ...(v.clients ?? []).flatMap((c, i) => tokenExchangeClientIssues('clients', c, `/${i}`, registered)),
    ...(v.extraClients ?? []).flatMap((c, i) => tokenExchangeClientIssues('extraClients', c, `/${i}`, registered)),
  ]
}

/** Each armed scenario takes only its own type's fields. */
function scenarioIssues(v: SettingInput): SettingIssue[] {
  return (v.scenarios ?? []).flatMap((scenario, i) =>
    scenarioProblems(scenario).map(({ path, problem }) => ({
      id: 'scenarios' as const,
      path: `/${i}${path}`,
      problem,
    })),
  )
}

export function settingIssues(v: SettingInput): SettingIssue[] {
  const known = new Set([...(v.scopes ?? BUILTIN_SCOPES), ...OIDC_SCOPES].map((s) => s.name))
  const subs = new Set((v.users ?? BUILTIN_USERS).map((u) => u.sub ?? u.username))
  const issues = [...scopeIssues(v), ...userIssues(v)]
  const clients = v.clients ?? []
  issues.push(
    ...duplicates(
      'clients',
      clients.map((c) => c.clientId),
      (i) => `/${i}/clientId`,
      'client id',
    ),
  )
  clients.forEach((c, i) => issues.push(...clientIssues('clients', c, `/${i}`, known, subs)))
  const registered = new Set(registeredClients(v.clients, [], '').map((c) => c.clientId))
  v.extraClients?.forEach((c, i) => {
    if (registered.has(c.clientId))
      issues.push({
        id: 'extraClients',
        path: `/${i}/clientId`,
        problem: `duplicate client id "${c.clientId}" (already registered)`,
      })
    issues.push(...clientIssues('extraClients', c, `/${i}`, known, subs))
  })
  issues.push(...tokenExchangeIssues(v))
  return [...issues, ...resourceIssues(v), ...clientAppIssues(v), ...loginIssues(v), ...scenarioIssues(v)]
}
