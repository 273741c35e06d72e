// Lab only (INSPECTOR=on): end a device code's lifetime now, so the Break-it
// attack and tests can show a polling device hearing expired_token (RFC 8628
// §3.5) without waiting out DEVICE_CODE_TTL_SECONDS. A lab power: only the
// lab key opens it. It can only shorten a code's life, never lengthen one.

import type { FastifyInstance } from 'fastify'
import type { AuthServerContext } from '../context.js'
import { OAuthError } from '../oauth-error.js'
import { labJsonApi } from './json-api.js'

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
  // The lab key first, JSON only, unknown fields refused, errors as JSON (json-api.ts).
  labJsonApi(app, ['device_code'])
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
