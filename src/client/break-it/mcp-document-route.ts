// The lying Client ID Metadata Document of Break it's MCP attack, served by
// the client app: its client_id is NOT the URL it is served at (OAuth Client
// ID Metadata Document section 3 requires that it is).

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../shared/config.js'

export const LYING_DOCUMENT_PATH = '/break/mcp/lying-client.json'

export async function mcpDocumentRoute(app: FastifyInstance, opts: { config: LabConfig }): Promise<void> {
  const { publicUrl } = opts.config.client
  app.get(LYING_DOCUMENT_PATH, async (_request, reply) =>
    reply
      .header('content-type', 'application/json')
      // Fetched afresh at every run: the authorization server caches as Cache-Control says.
      .header('cache-control', 'no-store')
      .send({
        client_id: `${publicUrl}/break/mcp/trusted-client.json`,
        client_name: 'A trusted MCP client',
        redirect_uris: ['http://127.0.0.1:53682/callback'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
  )
}
