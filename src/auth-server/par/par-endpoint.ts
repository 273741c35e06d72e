// RFC 9126 §2: POST /par, pushed authorization requests. The client sends the
// parameters of its authorization request over the back channel, with client
// authentication, and gets a one-time request_uri to send the browser to
// /authorize with instead: the parameters never travel through the browser,
// and they are checked, against an authenticated client, before it goes there.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { dpopHeaderLines, requestHtu } from '../../shared/dpop/header.js'
import { verifyDpopProof } from '../../shared/dpop/proof.js'
import { createReplayCache, type ReplayCache } from '../../shared/dpop/replay-cache.js'
import { randomSecret } from '../../shared/random.js'
import { BACK_CHANNEL_ROUTE, backChannelScope } from '../back-channel/back-channel-route.js'
import {
  authenticateClient,
  authenticatedClient,
  noStore,
  rejectQueryCredentials,
} from '../back-channel/pre-handlers.js'
import type { AuthServerContext } from '../context.js'
import { validateAuthorizationRequest } from '../authorize/validate-request.js'
import { OAuthError } from '../oauth-error.js'

/** RFC 9126 §2.2: the request_uri's prefix. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'
/** RFC 9126 §2.2: short-lived; 60 s as in the RFC's example. */
export const PUSHED_REQUEST_TTL_SECONDS = 60

/** Parameters of client authentication, never part of the stored authorization request. */
const AUTHENTICATION_PARAMETERS = new Set(['client_secret'])

/**
 * RFC 9449 §10.1: a DPoP proof sent with the pushed request binds the code
 * to its key, as dpop_jkt does; the thumbprint of the proof's key, or
 * undefined without a proof.
 */
async function proofThumbprint(
  ctx: AuthServerContext,
  request: FastifyRequest,
  replay: ReplayCache,
): Promise<string | undefined> {
  const headers = dpopHeaderLines(request)
  if (headers === undefined) return undefined
  const outcome = await verifyDpopProof(headers, {
    method: request.method,
    url: requestHtu(ctx.config.auth.publicUrl, request),
    now: ctx.now(),
    replay,
  })
  if (!outcome.ok) throw new OAuthError(outcome.error, outcome.description)
  return outcome.proof.jkt
}

export async function parRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // RFC 9126 §2.3: errors as at the token endpoint, RFC 6749 §5.2 JSON.
  backChannelScope(app)
  const replay = createReplayCache()
  app.post<{ Body: Record<string, string | undefined> }>(
    '/par',
    // RFC 9126 §2: client authentication as at the token endpoint; a public client sends client_id.
    { ...BACK_CHANNEL_ROUTE, preHandler: [noStore, rejectQueryCredentials, authenticateClient] },
    async (request, reply) => {
      const { client } = authenticatedClient(request)
      const body = request.body ?? {}
      // RFC 9126 §2.1: request_uri MUST NOT be pushed.
      if (body.request_uri !== undefined)
        throw new OAuthError('invalid_request', 'request_uri cannot be pushed (RFC 9126 section 2.1).')
      const params: Record<string, string> = { client_id: client.clientId }
      for (const [name, value] of Object.entries(body))
        if (value !== undefined && !AUTHENTICATION_PARAMETERS.has(name)) params[name] = value
      // RFC 9449 §10.1: both ways of binding the code are supported here; when both are used they must agree.
      const proved = await proofThumbprint(ctx, request, replay)
      if (proved !== undefined) {
        if (params.dpop_jkt !== undefined && params.dpop_jkt !== proved)
          throw new OAuthError(
            'invalid_request',
            'dpop_jkt is not the thumbprint of the DPoP proof\u2019s key (RFC 9449 section 10.1).',
          )
        params.dpop_jkt = proved
      }
      // RFC 9126 §2.1: validated as /authorize validates it, but every error is this JSON answer.
      const result = validateAuthorizationRequest(params, ctx.clients, ctx.config.scopes, ctx.config)
      if (!result.ok) throw result.redirect ? result.error : new OAuthError('invalid_request', result.message)
      const requestUri = `${REQUEST_URI_PREFIX}${randomSecret()}`
      ctx.store.savePushedRequest({
        requestUri,
        clientId: client.clientId,
        query: new URLSearchParams(params).toString(),
        expiresAt: ctx.now() + PUSHED_REQUEST_TTL_SECONDS * 1000,
      })
      // RFC 9126 §2.2: 201 Created.
      return reply.code(201).send({ request_uri: requestUri, expires_in: PUSHED_REQUEST_TTL_SECONDS })
    },
  )
}
