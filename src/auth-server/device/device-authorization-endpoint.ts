// RFC 8628 §3.1-3.2: POST /device_authorization. A device that cannot show a
// browser (a TV, a CLI) asks for a device code, which it keeps and polls
// with, and a user code, which the user types on the verification page.

import type { FastifyInstance } from 'fastify'
import { randomSecret } from '../../shared/random.js'
import { DEVICE_CODE_GRANT } from '../../shared/enumerations.js'
import { BACK_CHANNEL_ROUTE, backChannelScope } from '../back-channel/back-channel-route.js'
import {
  authenticateClient,
  authenticatedClient,
  noStore,
  rejectQueryCredentials,
} from '../back-channel/pre-handlers.js'
import type { AuthServerContext } from '../context.js'
import { checkRequestedScopes } from '../authorize/validate-request.js'
import { OAuthError } from '../oauth-error.js'
import { displayUserCode, newUserCode } from './user-code.js'

/** How often a fresh user code may collide with a live one before the server gives up (it never will). */
const USER_CODE_ATTEMPTS = 5

export interface DeviceAuthorizationResponse {
  readonly device_code: string
  readonly user_code: string
  readonly verification_uri: string
  readonly verification_uri_complete: string
  readonly expires_in: number
  readonly interval: number
}

export async function deviceAuthorizationRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // The same back channel as the token endpoint: form body only, errors as RFC 6749 §5.2 JSON.
  backChannelScope(app)
  app.post<{ Body: Record<string, string | undefined> }>(
    '/device_authorization',
    // RFC 8628 §3.1: the client authenticates as at the token endpoint; a public one sends client_id.
    { ...BACK_CHANNEL_ROUTE, preHandler: [noStore, rejectQueryCredentials, authenticateClient] },
    async (request, reply) => {
      const { client } = authenticatedClient(request)
      // RFC 8628 §3.2 / RFC 6749 §5.2: a client not registered for the grant.
      if (!client.grantTypes.includes(DEVICE_CODE_GRANT))
        throw new OAuthError('unauthorized_client', 'This client may not use the device authorization grant.')
      const scopes = checkRequestedScopes(client, ctx.config.scopes, request.body?.scope)
      if (scopes instanceof OAuthError) throw scopes
      return reply.code(200).send(startDeviceAuthorization(ctx, client.clientId, scopes))
    },
  )
}

function startDeviceAuthorization(
  ctx: AuthServerContext,
  clientId: string,
  scopes: readonly string[],
): DeviceAuthorizationResponse {
  const { deviceCodeTtlSeconds, devicePollIntervalSeconds, publicUrl } = ctx.config.auth
  // RFC 8628 §5.2: the device code is a secret with as much entropy as an authorization code.
  const deviceCode = randomSecret()
  for (let attempt = 0; attempt < USER_CODE_ATTEMPTS; attempt++) {
    const userCode = newUserCode()
    const saved = ctx.store.saveDeviceAuthorization({
      deviceCode,
      userCode,
      clientId,
      scopes,
      expiresAt: ctx.now() + deviceCodeTtlSeconds * 1000,
      intervalSeconds: devicePollIntervalSeconds,
    })
    if (!saved) continue
    const shown = displayUserCode(userCode)
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: `${publicUrl}/device`,
      // RFC 8628 §3.3.1: the same page with the code filled in (for a QR code).
      verification_uri_complete: `${publicUrl}/device?user_code=${shown}`,
      expires_in: deviceCodeTtlSeconds,
      interval: devicePollIntervalSeconds,
    }
  }
  throw new OAuthError('temporarily_unavailable', 'No free user code; try again.', { status: 503 })
}
