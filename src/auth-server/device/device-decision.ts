// RFC 8628 §3.3: the user's decision on a device authorization, posted from
// the same consent page as the authorization code flow (POST /consent).
// Allow approves it for the signed-in user, Deny denies it; either way the
// device learns it at its next poll, and the user is told to go back to it.

import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthServerContext } from '../context.js'
import { renderErrorPage } from '../oauth-error.js'
import { endInteraction } from '../authorize/interactions.js'

export interface DeviceDecision {
  readonly interaction: string
  /** Normalised. */
  readonly userCode: string
  readonly decision: 'allow' | 'deny' | undefined
  readonly remember: string | undefined
  readonly user: { readonly sub: string; readonly authTime: number }
}

export async function decideDevice(
  ctx: AuthServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  decided: DeviceDecision,
): Promise<string> {
  endInteraction(request, decided.interaction)
  const authorization = ctx.store.findPendingDevice(decided.userCode)
  if (!authorization) return codeExpired(reply)
  if (decided.decision !== 'allow') {
    if (!ctx.store.denyDevice(decided.userCode)) return codeExpired(reply)
    return renderDone(reply, 'Access denied', 'You denied the device access; it will be told so.')
  }
  if (!ctx.store.approveDevice(decided.userCode, decided.user)) return codeExpired(reply)
  // The remember box works as in the code flow: the decision is listed at
  // /account/grants, withdrawing it revokes the refresh tokens the device got,
  // and a later authorization request of this client in the browser skips consent.
  if (decided.remember !== undefined) {
    ctx.store.saveGrant({
      sub: decided.user.sub,
      clientId: authorization.clientId,
      scopes: authorization.scopes,
      createdAt: ctx.now(),
    })
  }
  const client = ctx.clients.get(authorization.clientId)
  return renderDone(
    reply,
    'Device connected',
    `${client?.name ?? authorization.clientId} now has the access you allowed.`,
  )
}

function renderDone(reply: FastifyReply, heading: string, message: string): Promise<string> {
  reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/device-done', { title: heading, heading, message })
}

export function codeExpired(reply: FastifyReply): Promise<string> {
  return renderErrorPage(
    reply,
    400,
    'Code expired',
    'This device code is unknown, was already used or has expired. Start again on your device.',
  )
}
