// Resource indicators (RFC 8707): which resource server a token is for. The
// registry is the configuration's `resources`; the `resource` parameter may
// name several at /authorize (§2.1) and one at /token (§2.2), and every token
// carries exactly one of them as its `aud`: one audience per token, so that a
// resource server never accepts a token meant for another.

import type { LabConfig, ResourceRegistration } from '../shared/config.js'
import { resourceIdentifierProblem } from '../shared/resource-identifier.js'
import { OAuthError } from './oauth-error.js'

/** RFC 8707 §2: the registered resource server this value names, or why none. */
export function registeredResource(
  config: Pick<LabConfig, 'resources'>,
  identifier: string,
): ResourceRegistration | OAuthError {
  const problem = resourceIdentifierProblem(identifier)
  // RFC 8707 §2: a malformed or unknown resource is invalid_target.
  if (problem !== undefined) return new OAuthError('invalid_target', `resource ${problem}.`)
  const wanted = canonical(identifier)
  const found = config.resources.find((r) => r.identifier === identifier || canonical(r.identifier) === wanted)
  return found ?? new OAuthError('invalid_target', `resource ${identifier} is not a registered resource server.`)
}

/**
 * Scheme and host compared without case (RFC 3986 §6.2.2.1); the MCP
 * authorization spec ("Canonical Server URI") asks servers to accept an
 * upper-case scheme or host. The path stays case-sensitive, as written.
 */
function canonical(identifier: string): string {
  try {
    const url = new URL(identifier)
    const path = identifier.slice(identifier.indexOf('//') + 2).replace(/^[^/?#]*/, '')
    return `${url.protocol}//${url.host}${path}`
  } catch {
    return identifier
  }
}

/**
 * The `resource` values of an authorization request (RFC 8707 §2.1: the
 * parameter may repeat), each registered, without duplicates; empty values
 * are absent (RFC 6749 §3.1). An OAuthError for the first one refused.
 */
export function requestedResources(
  config: Pick<LabConfig, 'resources'>,
  value: string | readonly string[] | undefined,
): string[] | OAuthError {
  const values = [...new Set(value === undefined ? [] : typeof value === 'string' ? [value] : value)]
  const identifiers: string[] = []
  for (const raw of values) {
    if (raw === '') continue
    const found = registeredResource(config, raw)
    if (found instanceof OAuthError) return found
    identifiers.push(found.identifier)
  }
  return identifiers
}

/**
 * What an authorization covers: the resources asked for at /authorize, or,
 * when none were, the built-in resource server (today's default audience).
 */
export function grantedResources(config: LabConfig, asked: readonly string[] | undefined): readonly string[] {
  return asked !== undefined && asked.length > 0 ? asked : [config.resource.publicUrl]
}

/**
 * The one audience of a token issued under an authorization that covers
 * `granted` (RFC 8707 §2.2): the `resource` of the token request, which must
 * be one of them; without it, the only one, and when there are several the
 * client must pick (one audience per token).
 */
export function tokenAudience(
  config: Pick<LabConfig, 'resources'>,
  granted: readonly string[],
  resource: string | undefined,
): string {
  if (resource === undefined) {
    const [only, ...more] = granted
    if (only !== undefined && more.length === 0) return only
    throw new OAuthError(
      'invalid_target',
      `The authorization covers several resources (${granted.join(' ')}); send resource to pick one: a token has one audience (RFC 8707 section 2.2).`,
    )
  }
  const found = registeredResource(config, resource)
  if (found instanceof OAuthError) throw found
  // RFC 8707 §2.2: the token request may only narrow what the authorization covers.
  if (!granted.includes(found.identifier))
    throw new OAuthError(
      'invalid_target',
      `resource ${resource} was not asked for in the authorization request (${granted.join(' ')}).`,
    )
  return found.identifier
}

/** The audience of a token requested with no authorization behind it (client_credentials, the lab's minting). */
export function audienceOf(config: LabConfig, resource: string | undefined): string {
  if (resource === undefined) return config.resource.publicUrl
  const found = registeredResource(config, resource)
  if (found instanceof OAuthError) throw found
  return found.identifier
}
