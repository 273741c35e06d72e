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
  return resourceMetadataFor(config, {
    resource: config.resource.publicUrl,
    scopes: [config.resource.requiredScope],
    name: 'oauth-lab resource server',
  })
}

/** One protected resource's RFC 9728 §2 document: the root one and the MCP server's share the shape. */
export function resourceMetadataFor(
  config: LabConfig,
  resource: { readonly resource: string; readonly scopes: readonly string[]; readonly name: string },
): ProtectedResourceMetadata {
  return {
    resource: resource.resource,
    authorization_servers: [config.auth.publicUrl],
    scopes_supported: resource.scopes,
    // Only the Authorization header (RFC 6750 §2.1); query and body are refused.
    bearer_methods_supported: ['header'],
    resource_name: resource.name,
    // RFC 9728 §2 (RFC 9449 §7): DPoP proofs accepted with these algorithms; bearer tokens too.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    dpop_bound_access_tokens_required: false,
  }
}

/**
 * RFC 9728 §3.1: the well-known suffix goes between the host and the
 * resource's path, so `http://host/mcp` has its document at
 * `http://host/.well-known/oauth-protected-resource/mcp`.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}/.well-known/oauth-protected-resource${path}`
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
