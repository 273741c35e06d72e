// RFC 9126 §4: /authorize with a request_uri from POST /par. The pushed
// parameters replace the front channel's: only client_id (which must name the
// client that pushed it) and request_uri are read from the URL. The
// request_uri is used once; anything wrong with it is an HTML error page,
// never a redirect, since no redirect URI can be trusted without it.

import { randomSecret } from '../../shared/random.js'
import type { AuthServerContext } from '../context.js'
import type { RawQuery } from '../authorize/validate-request.js'
import { REQUEST_URI_PREFIX } from './par-endpoint.js'

/** As long as a waiting sign-in (interactions.ts): the resumed request must outlive it. */
const RESUME_TTL_MS = 10 * 60_000

export type PushedResolution =
  /** No request_uri: an ordinary authorization request. */
  | { readonly kind: 'none' }
  /** Not safe to redirect: an HTML error page. */
  | { readonly kind: 'page'; readonly message: string }
  /** The pushed parameters, as a raw query, to validate and continue with. */
  | { readonly kind: 'pushed'; readonly query: string }

const REFUSED = {
  unknown: 'The request_uri is unknown: it was never pushed, or has been forgotten (RFC 9126 section 4).',
  other_client: 'The request_uri was pushed by another client (RFC 9126 section 4).',
  used: 'The request_uri was already used; push the request again (RFC 9126 section 4).',
  expired: 'The request_uri has expired; push the request again (RFC 9126 section 4).',
} as const

export function resolvePushedRequest(ctx: AuthServerContext, query: RawQuery): PushedResolution {
  const requestUri = query.request_uri
  if (requestUri === undefined || requestUri === '') return { kind: 'none' }
  if (Array.isArray(requestUri)) return page('The request_uri parameter is repeated.')
  const clientId = query.client_id
  if (Array.isArray(clientId)) return page('The client_id parameter is repeated (RFC 6749 section 3.1).')
  // RFC 9126 §4: client_id is still required, and must be the pushing client.
  if (clientId === undefined || clientId === '')
    return page('A request with request_uri needs client_id too (RFC 9126 section 4).')
  if (ctx.clients.get(clientId) === undefined) return page(`Unknown client "${clientId}".`)
  const used = ctx.store.usePushedRequest(requestUri, clientId)
  if (!used.ok) return page(REFUSED[used.reason])
  return { kind: 'pushed', query: used.request.query }
}

/**
 * Where a pushed request resumes after sign-in: its parameters pushed again
 * under a new one-time request_uri that only this server has seen, so the
 * front channel never carries them and the first one stays used.
 */
export function repushForResume(ctx: AuthServerContext, query: string, clientId: string): string {
  const requestUri = `${REQUEST_URI_PREFIX}${randomSecret()}`
  ctx.store.savePushedRequest({ requestUri, clientId, query, expiresAt: ctx.now() + RESUME_TTL_MS })
  return new URLSearchParams({ client_id: clientId, request_uri: requestUri }).toString()
}

function page(message: string): PushedResolution {
  return { kind: 'page', message }
}
