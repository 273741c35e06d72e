// Reads oauth-lab.config.json (or .yaml/.yml), validates it against
// CONFIG_SCHEMA, then checks what a schema cannot say (unique ids, absolute
// redirect URIs, scopes that exist). Every problem is reported at once, each
// naming the file, the JSON pointer in it and what is wrong.

import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { createRequire } from 'node:module'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { ConfigFileError, type ConfigIssue } from './config-error.js'
import { CONFIG_SCHEMA, type FileConfig } from './config-schema.js'

// verbose: additionalProperties errors then carry their schema, to list what is allowed.
// ajv and yaml load only when a config file is used: every server starts with
// this module, and compiling the schema at start-up would cost each one time.
const require = createRequire(import.meta.url)
let compiled: ValidateFunction<FileConfig> | undefined
function validate(data: unknown): data is FileConfig {
  if (!compiled) {
    const { Ajv } = require('ajv') as typeof import('ajv')
    compiled = new Ajv({ allErrors: true, verbose: true, strict: true }).compile<FileConfig>(CONFIG_SCHEMA)
  }
  const ok = compiled(data)
  validate.errors = compiled.errors
  return ok
}
validate.errors = undefined as ErrorObject[] | null | undefined
const yaml = () => require('yaml') as typeof import('yaml')

/** The ids the lab relies on by default (config.ts has the same values). */
const RESOURCE_CLIENT_ID = 'oauth-resource-1'
const DEFAULT_CLIENT_APP_ID = 'oauth-client-1'
const REQUIRED_SCOPE = 'foo'
/** OIDC Core §5.4 scopes: any client may ask for them without defining them. */
/** Whether each built-in client has a secret: all the checks below need to know. */
const BUILTIN_CLIENT_SECRETS: readonly { clientId: string; clientSecret?: string }[] = [
  { clientId: DEFAULT_CLIENT_APP_ID, clientSecret: 'built-in' },
  { clientId: 'oauth-client-public' },
  { clientId: RESOURCE_CLIENT_ID, clientSecret: 'built-in' },
]
const OIDC_SCOPE_NAMES = ['openid', 'profile', 'email']

export function readConfigFile(file: string): FileConfig {
  const data = parseFile(file)
  if (!validate(data)) throw new ConfigFileError(file, schemaIssues(validate.errors ?? []))
  const issues = semanticIssues(data)
  if (issues.length > 0) throw new ConfigFileError(file, issues)
  return data
}

function parseFile(file: string): unknown {
  const ext = extname(file).toLowerCase()
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ConfigFileError(file, [{ problem: 'unknown file type: name it *.json, *.yaml or *.yml' }])
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigFileError(file, [
      { problem: `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` },
    ])
  }
  try {
    return ext === '.json' ? JSON.parse(text) : yaml().parse(text)
  } catch (error) {
    if (error instanceof yaml().YAMLParseError) {
      const at = error.linePos?.[0]
      const path = at === undefined ? undefined : `line ${at.line}, column ${at.col}`
      return fail(
        file,
        path,
        `not valid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      )
    }
    const message = (error as Error).message
    return fail(
      file,
      jsonPosition(text, message),
      `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
    )
  }
}

function fail(file: string, path: string | undefined, problem: string): never {
  throw new ConfigFileError(file, [{ ...(path === undefined ? {} : { path }), problem }])
}

/** V8 says "at position N"; a person wants a line and column. */
function jsonPosition(text: string, message: string): string | undefined {
  const match = /position (\d+)/.exec(message)
  if (!match) return undefined
  const before = text.slice(0, Number(match[1]))
  const line = before.split('\n').length
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

const ARTICLE: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
}

/** One ajv error as one plain sentence. */
function schemaIssue(error: ErrorObject): ConfigIssue {
  const path = error.instancePath
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter(
        (k) => !k.startsWith('$'),
      )
      return {
        path: `${path}/${escapePointer(String(params.additionalProperty))}`,
        problem: `unknown property (allowed: ${allowed.join(', ')})`,
      }
    }
    case 'required':
      return { path, problem: `missing required property "${String(params.missingProperty)}"` }
    case 'type':
      return { path, problem: `must be ${ARTICLE[String(params.type)] ?? String(params.type)}` }
    case 'enum':
      return { path, problem: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` }
    case 'minimum':
      return { path, problem: `must be at least ${String(params.limit)}` }
    case 'maximum':
      return { path, problem: `must be at most ${String(params.limit)}` }
    case 'minLength':
    case 'minItems':
      return { path, problem: 'must not be empty' }
    case 'pattern':
      return { path, problem: 'must be a scope token: no spaces, quotes or backslashes' }
    default:
      return { path, problem: error.message ?? `fails ${error.keyword}` }
  }
}

function schemaIssues(errors: readonly ErrorObject[]): ConfigIssue[] {
  const seen = new Set<string>()
  return errors.map(schemaIssue).filter((issue) => {
    const key = `${issue.path}\0${issue.problem}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
}

/** Why this URL cannot be a server's base URL, or undefined if it can. */
export function baseUrlProblem(raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'must be an absolute URL (e.g. http://localhost:9001)'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
  // RFC 8414 §2 / RFC 9207 §2: the issuer has no query or fragment.
  if (url.search || url.hash || url.username || url.password) return 'must not have a query, fragment or credentials'
  return undefined
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

function duplicates(values: readonly string[], path: (index: number) => string, what: string): ConfigIssue[] {
  const first = new Map<string, number>()
  const issues: ConfigIssue[] = []
  values.forEach((value, index) => {
    const earlier = first.get(value)
    if (earlier === undefined) first.set(value, index)
    else issues.push({ path: path(index), problem: `duplicate ${what} "${value}" (also at ${path(earlier)})` })
  })
  return issues
}

function semanticIssues(config: FileConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  for (const [key, value] of Object.entries(config.urls ?? {})) {
    const problem = baseUrlProblem(value)
    if (problem) issues.push({ path: `/urls/${key}`, problem })
  }
  const scopeNames = config.scopes?.map((s) => s.name)
  if (config.scopes) {
    issues.push(...duplicates(scopeNames!, (i) => `/scopes/${i}/name`, 'scope'))
    if (!scopeNames!.includes(REQUIRED_SCOPE))
      issues.push({ path: '/scopes', problem: `must define "${REQUIRED_SCOPE}": the resource server requires it` })
  }
  const known = new Set([...(scopeNames ?? ['foo', 'bar']), ...OIDC_SCOPE_NAMES])
  if (config.users) {
    issues.push(
      ...duplicates(
        config.users.map((u) => u.username),
        (i) => `/users/${i}/username`,
        'username',
      ),
    )
    issues.push(
      ...duplicates(
        config.users.map((u) => u.sub ?? u.username),
        (i) => `/users/${i}`,
        'sub',
      ),
    )
  }
  const subs = new Set(
    (config.users ?? [{ username: 'alice' }, { username: 'bob' }]).map((u) => ('sub' in u && u.sub) || u.username),
  )
  const clients = config.clients ?? []
  issues.push(
    ...duplicates(
      clients.map((c) => c.clientId),
      (i) => `/clients/${i}/clientId`,
      'client id',
    ),
  )
  clients.forEach((client, i) => {
    const at = `/clients/${i}`
    client.redirectUris?.forEach((uri, j) => {
      const problem = redirectUriProblem(uri)
      if (problem) issues.push({ path: `${at}/redirectUris/${j}`, problem })
    })
    client.postLogoutRedirectUris?.forEach((uri, j) => {
      const problem = redirectUriProblem(uri)
      if (problem) issues.push({ path: `${at}/postLogoutRedirectUris/${j}`, problem })
    })
    client.scopes?.forEach((scope, j) => {
      if (!known.has(scope))
        issues.push({ path: `${at}/scopes/${j}`, problem: `scope "${scope}" is not defined in scopes` })
    })
    // RFC 9700 §4.15.1: a client_credentials token must never pass for a user's.
    if (subs.has(client.clientId))
      issues.push({
        path: `${at}/clientId`,
        problem: `"${client.clientId}" is also a user's sub; they must differ (RFC 9700 section 4.15.1)`,
      })
    const methods = client.tokenEndpointAuthMethods
    if (client.clientSecret === undefined) {
      if (methods && methods.some((m) => m !== 'none'))
        issues.push({
          path: `${at}/tokenEndpointAuthMethods`,
          problem: 'a client without clientSecret can only use "none"',
        })
      if (client.requirePkce === false)
        issues.push({ path: `${at}/requirePkce`, problem: 'a public client (no clientSecret) must use PKCE' })
    } else if (methods?.includes('none')) {
      issues.push({ path: `${at}/tokenEndpointAuthMethods`, problem: 'a client with a clientSecret cannot use "none"' })
    }
    const grants = client.grantTypes ?? ['authorization_code']
    if (
      !client.introspectionOnly &&
      grants.includes('authorization_code') &&
      (client.redirectUris ?? []).length === 0
    ) {
      issues.push({ path: at, problem: 'needs at least one redirectUris entry for the authorization_code grant' })
    }
    if (client.clientSecret === undefined && client.grantTypes?.includes('client_credentials')) {
      issues.push({ path: `${at}/grantTypes`, problem: 'a public client cannot use client_credentials' })
    }
    // The resource server authenticates with this client's secret in introspection mode.
    if (client.clientId === RESOURCE_CLIENT_ID && client.clientSecret === undefined) {
      issues.push({
        path: at,
        problem: `${RESOURCE_CLIENT_ID} is the resource server's introspection client: it needs a clientSecret`,
      })
    }
  })
  if (config.clients || config.clientApp?.clientId) {
    // The client app signs in with client_secret_basic: its client must exist and be confidential.
    const id = config.clientApp?.clientId ?? DEFAULT_CLIENT_APP_ID
    const candidates = [
      ...(config.clients ?? BUILTIN_CLIENT_SECRETS),
      ...BUILTIN_CLIENT_SECRETS.filter((c) => c.clientId === RESOURCE_CLIENT_ID),
    ]
    const app = candidates.find((c) => c.clientId === id)
    const path = config.clientApp?.clientId ? '/clientApp/clientId' : '/clients'
    if (!app)
      issues.push({ path, problem: `the client app is "${id}", which is not in clients (set clientApp.clientId)` })
    else if (app.clientSecret === undefined)
      issues.push({ path, problem: `the client app's client "${id}" needs a clientSecret` })
  }
  return issues
}
