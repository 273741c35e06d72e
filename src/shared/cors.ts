// CORS (the Fetch standard's CORS protocol) for the endpoints a single-page
// app calls from its own origin: /token, /userinfo, /revoke and the resource
// server. Only the clients' web origins are answered, each by name (never
// `*`), and without credentials mode: these endpoints read Authorization
// headers and form bodies, never cookies. Any other origin gets no
// Access-Control-* header and the same answer as before: CORS is the
// browser's check, not an authentication. RFC 9700 §2.6: the authorization
// endpoint and every page stay without CORS (they never call corsScope).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ClientRegistration } from './config-types.js'

/** Request headers a SPA may send: its token, its form body's type, and DPoP proofs (RFC 9449 §5). */
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, DPoP'
/** Response headers a SPA may read: the resource server's challenge (RFC 6750 §3) and DPoP nonces (RFC 9449 §8). */
export const CORS_EXPOSE_HEADERS = 'WWW-Authenticate, DPoP-Nonce'
/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600

/** Browsers send an Origin only for http(s) pages; a private-use scheme has no web origin. */
const WEB_SCHEMES = new Set(['http:', 'https:'])
/** The loopback names a native or local app's redirect URI uses (as the Host allow-list knows them). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
/** `scheme://host[:port]` and nothing more: no user info, path, query or fragment. */
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]+$/i

/** The port written in an absolute URL, if any (WHATWG URL forgets a default one, `:80` on http). */
function writtenPort(raw: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):(\d+)/i.exec(raw)?.[1]
}

function parsed(raw: string): URL | undefined {
  try {
    return new URL(raw)
  } catch {
    return undefined
  }
}

/** Why `raw` is not a web origin (`scheme://host[:port]`), or undefined when it is one. */
export function webOriginProblem(raw: string): string | undefined {
  const url = parsed(raw)
  if (!url || !ORIGIN_SHAPE.test(raw)) return 'must be an origin: scheme://host[:port], without path, query or fragment'
  if (!WEB_SCHEMES.has(url.protocol)) return 'must be an http or https origin'
  return undefined
}

/**
 * The default web origins of a client: those of its redirect URIs, in order,
 * each once. A redirect URI written without a port keeps none (a loopback one
 * then allows every port, see webOriginCheck); private-use schemes
 * (`com.example.app:/cb`) have no web origin and are skipped.
 */
export function defaultWebOrigins(redirectUris: readonly string[]): string[] {
  const origins = new Set<string>()
  for (const uri of redirectUris) {
    const url = parsed(uri)
    if (!url || !WEB_SCHEMES.has(url.protocol)) continue
    const port = writtenPort(uri)
    origins.add(`${url.protocol}//${url.hostname}${port === undefined ? '' : `:${port}`}`)
  }
  return [...origins]
}

/** A client's web origins: as registered, or by default those of its redirect URIs. */
export function webOriginsOf(client: ClientRegistration): readonly string[] {
  return client.webOrigins ?? defaultWebOrigins(client.redirectUris)
}

/** True when a request's Origin header names an allowed origin. */
export type OriginCheck = (origin: string | undefined) => boolean

/** The scheme and host of a serialised origin (`http://[::1]:5173` → `http://[::1]`), if it is one. */
const ORIGIN_PARTS = /^(https?:\/\/(?:\[[0-9a-f:.]+\]|[^/?#@:[\]\s]+))(?::\d{1,5})?$/

/**
 * Which Origin headers `webOrigins` allow: each by exact match of its
 * serialisation (as browsers send it, a default port left out), except a
 * loopback origin written without a port, which allows that scheme and host
 * with any port (RFC 8252 §7.3: a loopback redirect URI's port may change
 * at each request). The opaque origin `null` is never allowed.
 */
export function webOriginCheck(webOrigins: readonly string[]): OriginCheck {
  const exact = new Set<string>()
  const anyPort = new Set<string>()
  for (const entry of webOrigins) {
    const url = parsed(entry)
    if (!url || !WEB_SCHEMES.has(url.protocol)) continue
    if (LOOPBACK_HOSTS.has(url.hostname) && writtenPort(entry) === undefined)
      anyPort.add(`${url.protocol}//${url.hostname}`)
    else exact.add(url.origin)
  }
  return (origin) => {
    if (origin === undefined) return false
    if (exact.has(origin)) return true
    const schemeAndHost = ORIGIN_PARTS.exec(origin)?.[1]
    return schemeAndHost !== undefined && anyPort.has(schemeAndHost)
  }
}

/**
 * The origins every CORS route of a server allows: the union of all clients'
 * web origins. The token endpoint cannot do better: it knows the client only
 * once it has read the body, and the browser asks (preflight) before sending
 * it; the resource server and userinfo see a token, not a registration.
 */
export function labOriginCheck(clients: readonly ClientRegistration[]): OriginCheck {
  return webOriginCheck(clients.flatMap(webOriginsOf))
}

function allowOrigin(reply: FastifyReply, origin: string): void {
  reply.header('access-control-allow-origin', origin)
  // The answer depends on Origin: a cache must not hand it to another origin.
  reply.header('vary', 'Origin')
}

/**
 * Call first in an encapsulated plugin: every route it then declares answers
 * CORS for `allows`, and gets an OPTIONS route for the preflight (listing the
 * methods of that URL). An OPTIONS request that is not an allowed preflight is
 * answered by the not-found handler, exactly as before the route existed.
 */
export function corsScope(scope: FastifyInstance, allows: OriginCheck): void {
  const methodsByUrl = new Map<string, Set<string>>()
  scope.addHook('onRoute', (route) => {
    const methods = [route.method].flat().filter((m) => m !== 'OPTIONS' && m !== 'HEAD')
    if (methods.length === 0) return
    const known = methodsByUrl.get(route.url)
    if (known) {
      for (const method of methods) known.add(method)
      return
    }
    const added = new Set(methods)
    methodsByUrl.set(route.url, added)
    // Declared from this hook, so a route and its preflight cannot drift apart.
    scope.options(route.url, (request, reply) => preflight(request, reply, allows, added))
  })
  scope.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin
    if (request.method !== 'OPTIONS' && origin !== undefined && allows(origin)) {
      allowOrigin(reply, origin)
      reply.header('access-control-expose-headers', CORS_EXPOSE_HEADERS)
    }
    done()
  })
}

function preflight(request: FastifyRequest, reply: FastifyReply, allows: OriginCheck, methods: ReadonlySet<string>) {
  const origin = request.headers.origin
  if (origin === undefined || !allows(origin) || request.headers['access-control-request-method'] === undefined)
    return reply.callNotFound()
  allowOrigin(reply, origin)
  return reply
    .code(204)
    .header('access-control-allow-methods', [...methods].join(', '))
    .header('access-control-allow-headers', CORS_ALLOW_HEADERS)
    .header('access-control-max-age', String(CORS_MAX_AGE_SECONDS))
    .send()
}
