// Lab only (INSPECTOR=on): end a device code's lifetime now, so the Break-it
// attack and tests can show a polling device hearing expired_token (RFC 8628
// §3.5) without waiting out DEVICE_CODE_TTL_SECONDS. A lab power: only the
// lab key opens it. It can only shorten a code's life, never lengthen one.

import type { FastifyError, FastifyInstance } from 'fastify'
import { requireLabKey } from '../../shared/lab-key.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError, sendJsonError } from '../oauth-error.js'

interface ExpireDeviceBody {
  readonly device_code: string
}

const expireDeviceSchema = {
  body: {
    type: 'object',
    required: ['device_code'],
    additionalProperties: false,
    properties: { device_code: { type: 'string', minLength: 1, maxLength: 200 } },
  },
} as const

export async function labExpireDeviceRoute(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // Before anything else, body included: a caller without the key learns nothing.
  app.addHook('onRequest', requireLabKey)
  // JSON only: a cross-site page cannot send it without a CORS preflight, which is never granted.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'])
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof OAuthError) return sendJsonError(reply, error)
    const status = error.statusCode === 415 ? { status: 415 } : {}
    return sendJsonError(reply, new OAuthError('invalid_request', error.message, status))
  })
  app.post<{ Body: ExpireDeviceBody }>(
    '/_lab/device/expire',
    { schema: expireDeviceSchema },
    async (request, reply) => {
      if (!ctx.store.expireDevice(request.body.device_code))
        throw new OAuthError('invalid_request', 'No device authorization has that device_code.', { status: 404 })
      return reply.header('cache-control', 'no-store').send({ expired: true })
    },
  )
}
