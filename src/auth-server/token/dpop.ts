// RFC 9449 §5: DPoP at the token endpoint. A token request with a valid proof
// gets tokens bound to the proof's key (`token_type: DPoP`, `cnf.jkt`, §6);
// without one, Bearer tokens as before, unless the client must use DPoP
// (`requireDpop`, §5.2). Public clients' refresh tokens are bound to the key
// too (§5, §5.8); a confidential client's are not (the RFC allows either),
// but the access token it gets at a refresh is bound to that refresh's proof.

import type { FastifyReply, FastifyRequest } from 'fastify'
import { dpopHeaderLines, requestHtu } from '../../shared/dpop/header.js'
import { createNonceSource, type NonceSource } from '../../shared/dpop/nonces.js'
import { verifyDpopProof } from '../../shared/dpop/proof.js'
import { createReplayCache } from '../../shared/dpop/replay-cache.js'
import type { AuthenticatedClient } from '../back-channel/client-auth.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError } from '../oauth-error.js'

/**
 * Checks a token request's proof; the context the grant then works with
 * (bound, or as it was). Synchronous without a DPoP header, the common case:
 * only a proof needs a promise (its signature is verified asynchronously), and
 * an await on every token request costs a microtask hop for nothing.
 */
export type TokenEndpointDpop = (
  request: FastifyRequest,
  reply: FastifyReply,
  client: AuthenticatedClient,
) => AuthServerContext | Promise<AuthServerContext>

/** One per authorization server: its replay cache and, when DPOP_NONCE is on, its nonces. */
export function tokenEndpointDpop(ctx: AuthServerContext): TokenEndpointDpop {
  const replay = createReplayCache()
  const nonces: NonceSource | undefined = ctx.config.auth.dpopNonce === true ? createNonceSource(ctx.now) : undefined
  const bind = async (request: FastifyRequest, headers: readonly string[]): Promise<AuthServerContext> => {
    const outcome = await verifyDpopProof(headers, {
      method: request.method,
      url: requestHtu(ctx.config.auth.publicUrl, request),
      now: ctx.now(),
      replay,
      nonces,
    })
    // RFC 9449 §5: invalid_dpop_proof; §8: use_dpop_nonce. Both 400 (RFC 6749 §5.2).
    if (!outcome.ok) throw new OAuthError(outcome.error, outcome.description)
    return { ...ctx, tokenBinding: { jkt: outcome.proof.jkt } }
  }
  return (request, reply, { client }) => {
    // RFC 9449 §8: the server hands out its current nonce, on errors (use_dpop_nonce) as on success.
    if (nonces) reply.header('dpop-nonce', nonces.current())
    const headers = dpopHeaderLines(request)
    if (headers === undefined) {
      if (client.requireDpop === true)
        throw new OAuthError(
          'invalid_dpop_proof',
          'This client must send a DPoP proof with every token request (RFC 9449 section 5.2).',
        )
      return ctx
    }
    return bind(request, headers)
  }
}

/** RFC 9449 §5: a public client's refresh tokens are bound to the key of the proof that got them. */
export function familyBinding(ctx: AuthServerContext, clientId: string): { readonly dpopJkt?: string } {
  const isPublic = ctx.clients.get(clientId)?.clientSecret === undefined
  return ctx.tokenBinding !== undefined && isPublic ? { dpopJkt: ctx.tokenBinding.jkt } : {}
}

/**
 * RFC 9449 §5.8: a bound refresh token is used only with a proof of its key.
 * Synchronous, and called right before the rotation, so that a stolen token
 * used without the key neither rotates it nor revokes its family.
 */
export function checkRefreshTokenBinding(ctx: AuthServerContext, hash: string, clientId: string): void {
  const found = ctx.store.findRefreshToken(hash)
  // Unknown or another client's: the rotation refuses it as before.
  if (found === undefined || found.family.clientId !== clientId) return
  const bound = found.family.dpopJkt
  if (bound === undefined) return
  if (ctx.tokenBinding === undefined)
    throw new OAuthError(
      'invalid_grant',
      'This refresh token is bound to a DPoP key: send a DPoP proof of that key (RFC 9449 section 5).',
    )
  if (ctx.tokenBinding.jkt !== bound)
    throw new OAuthError('invalid_grant', 'This refresh token is bound to another DPoP key (RFC 9449 section 5).')
}
