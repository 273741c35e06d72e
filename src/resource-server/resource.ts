// Step 7: Client uses access token to access protected resource (RFC 6750 §2.1)

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import type { CheckToken } from './check-token.js'
import type { ResourceDpop } from './dpop.js'
import { requireScope } from './require-scope.js'
import { verifyToken } from './verify-token.js'

export interface ResourceRouteOptions {
  readonly config: LabConfig
  readonly checkToken: CheckToken
  /** DPoP-bound tokens (RFC 9449 §7); without it, only bearer tokens are accepted. */
  readonly dpop?: ResourceDpop
}

export interface ResourceResponse {
  readonly resource: string
  readonly message: string
  readonly sub: string
  readonly client_id: string
  readonly scope: string
}

/** `GET /resource`: who asked and with which scopes, once the token is accepted. */
export async function resourceRoute(app: FastifyInstance, opts: ResourceRouteOptions): Promise<void> {
  const resource = opts.config.resource.requiredScope
  app.get(
    '/resource',
    // RFC 8707: this route is the built-in resource server, whose identifier is its public URL.
    {
      preHandler: [
        verifyToken(opts.checkToken, opts.config.resource.publicUrl, { dpop: opts.dpop }),
        requireScope(resource),
      ],
    },
    async (request, reply): Promise<ResourceResponse> => {
      const { sub, client_id: clientId, scope } = request.accessToken!
      // The answer depends on who asked, so no shared cache may keep it.
      reply.header('cache-control', 'no-store')
      return { resource, message: `Hello ${sub}, here is your ${resource} resource.`, sub, client_id: clientId, scope }
    },
  )
}
