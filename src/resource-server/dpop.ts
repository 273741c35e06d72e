// RFC 9449 §7: a DPoP-bound access token at the resource server. It comes as
// `Authorization: DPoP <token>` with a proof of the key it is bound to, made
// for this very request and carrying the token's hash (`ath`); the scheme's
// challenge names the accepted algorithms (§7.1). Sent as Bearer, a bound
// token is refused (§7.2). With DPOP_NONCE on, proofs carry this server's
// current nonce (§9).

import type { FastifyReply, FastifyRequest } from 'fastify'
import { sendTemporarilyUnavailable } from '../shared/bearer-errors.js'
import type { LabConfig } from '../shared/config.js'
import { dpopChallenge, type DpopChallengeError } from '../shared/dpop/challenge.js'
import { dpopHeaderLines, requestHtu } from '../shared/dpop/header.js'
import { createNonceSource, type NonceSource } from '../shared/dpop/nonces.js'
import { verifyDpopProof } from '../shared/dpop/proof.js'
import { createReplayCache, type ReplayCache } from '../shared/dpop/replay-cache.js'
import { TokenCheckUnavailable, TokenRejected, type CheckToken, type TokenCheckDeps } from './check-token.js'

/** One per resource server: its public URL, clock, replay cache and nonces. */
export interface ResourceDpop {
  readonly publicUrl: string
  readonly now: () => number
  readonly replay: ReplayCache
  readonly nonces?: NonceSource
}

export function createResourceDpop(config: LabConfig, deps: TokenCheckDeps = {}): ResourceDpop {
  const now = () => deps.now?.().getTime() ?? Date.now()
  return {
    publicUrl: config.resource.publicUrl,
    now,
    replay: createReplayCache(),
    ...(config.resource.dpopNonce === true ? { nonces: createNonceSource(now) } : {}),
  }
}

// RFC 9449 §7.1: token68, as RFC 6750 §2.1's b64token.
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/

function hasAccessTokenParam(params: unknown): boolean {
  return typeof params === 'object' && params !== null && 'access_token' in params
}

/** True when the request's Authorization header uses the DPoP scheme (case-insensitive, RFC 9110 §11.1). */
export function usesDpopScheme(request: FastifyRequest): boolean {
  const header = request.headers.authorization ?? ''
  return /^dpop(?: |$)/i.test(header)
}

interface DpopFailure {
  readonly status: 400 | 401
  readonly error: DpopChallengeError | 'invalid_request'
  readonly description: string
}

/** Writes a refusal with the DPoP challenge (RFC 9449 §7.1), and this server's nonce when it has them (§9). */
export function sendDpopError(reply: FastifyReply, failure: DpopFailure, nonces?: NonceSource): FastifyReply {
  if (nonces) reply.header('dpop-nonce', nonces.current())
  const challengeError = failure.error === 'invalid_request' ? undefined : failure.error
  return reply
    .code(failure.status)
    .header('www-authenticate', dpopChallenge(challengeError, failure.description))
    .header('cache-control', 'no-store')
    .send({ error: failure.error, error_description: failure.description })
}

/** RFC 9449 §7.2: a DPoP-bound token sent as a bearer token is refused, and the client told to use DPoP. */
export function refuseBoundBearer(reply: FastifyReply): FastifyReply {
  return sendDpopError(reply, {
    status: 401,
    error: 'invalid_token',
    description: 'this access token is bound to a DPoP key: send it as Authorization: DPoP <token> with a DPoP proof',
  })
}

/**
 * preHandler body for `Authorization: DPoP`: checks the token, then the proof
 * (RFC 9449 §4.3 with `ath` and the token's key, §7). Sets
 * `request.accessToken` and answers nothing when both pass.
 */
export async function verifyDpopRequest(
  dpop: ResourceDpop,
  checkToken: CheckToken,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const { nonces } = dpop
  const header = request.headers.authorization ?? ''
  const token = header.slice('DPoP'.length).replace(/^ +/, '')
  // RFC 6750 §2, as for Bearer: the token travels in the Authorization header only, and one way only.
  if (hasAccessTokenParam(request.query) || hasAccessTokenParam(request.body))
    return sendDpopError(
      reply,
      { status: 400, error: 'invalid_request', description: 'the access token was sent by more than one method' },
      nonces,
    )
  if (!TOKEN68.test(token))
    return sendDpopError(
      reply,
      { status: 400, error: 'invalid_request', description: 'malformed Authorization header: expected DPoP <token>' },
      nonces,
    )
  let claims
  try {
    claims = await checkToken(token)
  } catch (error) {
    if (error instanceof TokenRejected)
      return sendDpopError(reply, { status: 401, error: 'invalid_token', description: error.message }, nonces)
    if (error instanceof TokenCheckUnavailable) {
      request.log.error({ err: error.cause ?? error }, error.message)
      return sendTemporarilyUnavailable(reply, error.message)
    }
    throw error
  }
  // §4.3 point 12: only a token bound to a key can be proven with one.
  if (claims.cnf === undefined)
    return sendDpopError(
      reply,
      {
        status: 401,
        error: 'invalid_token',
        description: 'this access token is not bound to a DPoP key: send it as Authorization: Bearer <token>',
      },
      nonces,
    )
  const outcome = await verifyDpopProof(dpopHeaderLines(request), {
    method: request.method,
    url: requestHtu(dpop.publicUrl, request),
    now: dpop.now(),
    replay: dpop.replay,
    nonces,
    accessToken: token,
    boundJkt: claims.cnf.jkt,
  })
  if (!outcome.ok) {
    request.log.info({ reason: outcome.description }, 'DPoP proof refused')
    return sendDpopError(reply, { status: 401, error: outcome.error, description: outcome.description }, nonces)
  }
  if (nonces) reply.header('dpop-nonce', nonces.current())
  request.accessToken = claims
  return undefined
}
