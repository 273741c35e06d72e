// Step 7 (discovery): Protected resource metadata (RFC 9728 §2, §3)

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { DPOP_ALGS } from '../shared/dpop/proof.js'

export interface ProtectedResourceMetadata {
  readonly resource: string
  readonly authorization_servers: readonly string[]
  readonly scopes_supported: readonly string[]
  readonly bearer_methods_supported: readonly string[]
  readonly resource_name: string
  readonly dpop_signing_alg_values_supported: readonly string[]
  readonly dpop_bound_access_tokens_required: boolean
}

/** RFC 9728 §2: `resource` is the public URL, the same value as every token's `aud`. */
export function protectedResourceMetadata(config: LabConfig): ProtectedResourceMetadata {
  return {
    resource: config.resource.publicUrl,
    authorization_servers: [config.auth.publicUrl],
    scopes_supported: [config.resource.requiredScope],
    // Only the Authorization header (RFC 6750 §2.1); query and body are refused.
    bearer_methods_supported: ['header'],
    resource_name: 'oauth-lab resource server',
    // RFC 9728 §2 (RFC 9449 §7): DPoP proofs accepted with these algorithms; bearer tokens too.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    dpop_bound_access_tokens_required: false,
  }
}

/** RFC 9728 §3: the resource is at the host root, so the suffix goes right after the host. */
export async function metadataRoute(app: FastifyInstance, opts: { readonly config: LabConfig }): Promise<void> {
  const document = protectedResourceMetadata(opts.config)
  app.get('/.well-known/oauth-protected-resource', async (_request, reply) => {
    // RFC 9728 §3.2: 200 with application/json.
    reply.type('application/json; charset=utf-8')
    return document
  })
}
