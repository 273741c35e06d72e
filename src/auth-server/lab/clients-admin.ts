// Lab only, behind the lab key: GET /_lab/clients lists the clients that
// registered themselves (RFC 7591) or are known by a Client ID Metadata
// Document, as a page for browsers or JSON for scripts (Accept:
// application/json); POST /_lab/clients removes one (a form with client_id).
//
// The form is CSRF-protected without a session: its token is an HMAC of the
// lab key, which only a lab-key holder can compute, and the lab key's cookie
// is SameSite=Strict besides, so a page on another site can neither read
// the token nor send the cookie.

import { createHmac } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { constantTimeEqual } from '../../shared/constant-time.js'
import { requireLabKey } from '../../shared/lab-key.js'
import type { ClientEntry } from '../clients.js'
import type { AuthServerContext } from '../context.js'
import { renderErrorPage } from '../oauth-error.js'
import { MAX_DYNAMIC_CLIENTS, removeRegisteredClient } from '../registration/dynamic-clients.js'
import { DOCUMENT_LIMITS } from '../registration/metadata-document.js'

const SOURCE_LABELS: Record<ClientEntry['source'], string> = {
  config: 'configuration',
  added: 'added by the test API',
  dynamic: 'POST /register (RFC 7591)',
  'metadata-document': 'metadata document',
}

/** The form's CSRF token: derived from the lab key, so it is constant while the key is. */
export function clientsAdminCsrfToken(labKey: string): string {
  return createHmac('sha256', labKey).update('oauth-lab /_lab/clients remove').digest('base64url')
}

function listed(entry: ClientEntry) {
  const { client } = entry
  return {
    clientId: client.clientId,
    name: client.name,
    source: entry.source,
    sourceLabel: SOURCE_LABELS[entry.source],
    kind: client.clientSecret === undefined ? 'public (PKCE)' : 'confidential',
    redirectUris: [...client.redirectUris],
    scopes: [...client.scopes],
    since: new Date(entry.addedAt).toISOString(),
  }
}

const wantsJson = (request: FastifyRequest) => (request.headers.accept ?? '').includes('application/json')

export async function labClientsRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  // Before anything else, body included: a caller without the key learns nothing.
  app.addHook('onRequest', requireLabKey)
  const csrfToken = clientsAdminCsrfToken(ctx.config.labKey)

  app.get('/_lab/clients', async (request, reply) => {
    const entries = ctx.clients.entries()
    const removable = entries.filter((e) => e.source === 'dynamic' || e.source === 'metadata-document').map(listed)
    reply.header('cache-control', 'no-store')
    if (wantsJson(request)) return reply.send({ clients: removable })
    reply.type('text/html; charset=utf-8')
    return reply.viewAsync('auth-server/lab-clients', {
      title: 'Registered clients',
      removable,
      configured: entries.filter((e) => e.source === 'config' || e.source === 'added').map(listed),
      maxDynamic: MAX_DYNAMIC_CLIENTS,
      maxDocuments: DOCUMENT_LIMITS.maxDocuments,
      csrfToken,
    })
  })

  app.post<{ Body: { client_id?: unknown; _csrf?: unknown } }>(
    '/_lab/clients',
    { bodyLimit: 4096 },
    async (request, reply: FastifyReply) => {
      const body = request.body ?? {}
      if (typeof body.client_id !== 'string')
        return renderErrorPage(reply, 400, 'Bad request', 'The form names no client_id.')
      const given = typeof body._csrf === 'string' ? body._csrf : ''
      if (!constantTimeEqual(given, csrfToken))
        return renderErrorPage(
          reply,
          403,
          'Request refused',
          'The form was missing its CSRF token or it did not match. Reload the page and try again.',
        )
      const clientId = body.client_id
      const source = ctx.clients.entries().find((e) => e.client.clientId === clientId)?.source
      if (source !== 'dynamic' && source !== 'metadata-document')
        return renderErrorPage(
          reply,
          400,
          'Not removed',
          'Only registered clients and metadata-document clients can be removed here; this one is unknown or configured.',
        )
      if (source === 'dynamic') removeRegisteredClient(ctx, clientId)
      else ctx.clients.remove(clientId)
      return reply.header('cache-control', 'no-store').redirect('/_lab/clients', 303)
    },
  )
}
