// lab.addClient: a client written as in a config file, added while the lab
// runs, after the same checks a config file's client gets (the item schema,
// defined scopes, a unique id that is no user's sub), so a test cannot add a
// client the lab would then answer 500 for.

import type { ClientInput } from '../../shared/builtin-data.js'
import type { ClientRegistration } from '../../shared/config.js'
import { ConfigFileError, type ConfigIssue } from '../../shared/config-error.js'
import { schemaProblems } from '../../shared/config-file.js'
import { clientIssues, tokenExchangeClientIssues } from '../../shared/config-checks.js'
import { CLIENT_SCHEMA } from '../../shared/config-items.js'
import type { AuthServerContext } from '../context.js'

/** Clients added at runtime, at most: memory stays bounded. */
export const MAX_ADDED_CLIENTS = 1000

export function addLabClient(ctx: AuthServerContext, input: unknown, label: string): ClientRegistration {
  const schema = schemaProblems(CLIENT_SCHEMA, input)
  if (schema.length > 0) throw new ConfigFileError(label, schema, label)
  const given = input as ClientInput
  const known = new Set(ctx.config.scopes.map((s) => s.name))
  const subs = new Set(ctx.users.all().map((u) => u.sub))
  // The config file's own rules for one client (redirect URIs, scopes, methods, PKCE, ...).
  // RFC 8693: its token exchange audiences among the lab's resource servers.
  const resources = new Set(ctx.config.resources.map((r) => r.identifier))
  const issues: ConfigIssue[] = [
    ...clientIssues('clients', given, '', known, subs),
    ...tokenExchangeClientIssues('clients', given, '', resources),
  ].map(({ path, problem }) => ({ path, problem }))
  if (ctx.clients.get(given.clientId) !== undefined)
    issues.push({ path: '/clientId', problem: `duplicate clientId "${given.clientId}"` })
  const added = ctx.clients.entries().filter((e) => e.source === 'added').length
  if (issues.length === 0 && added >= MAX_ADDED_CLIENTS)
    issues.push({ path: '', problem: `at most ${MAX_ADDED_CLIENTS} clients may be added while the lab runs` })
  if (issues.length > 0) throw new ConfigFileError(label, issues, label)
  return ctx.clients.add(given, 'added')
}
