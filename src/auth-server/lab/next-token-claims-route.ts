// Lab only (LAB_ADMIN=on, or startLab({ admin: true })): POST
// /_lab/next-token-claims adds claims to the next access token issued, once:
// a one-shot beforeTokenSigning hook (hooks.ts) made of data, for tests in any
// language. A lab power: only the lab key opens it.

import type { FastifyInstance } from 'fastify'
import { OAuthError } from '../oauth-error.js'
import { MAX_ONCE_HOOKS, type OnceHooks } from './hooks.js'
import { checkClaimsSize, labJsonApi, refuseClaims } from './json-api.js'

interface NextTokenClaimsBody {
  readonly claims: Readonly<Record<string, unknown>>
}

const nextTokenClaimsSchema = {
  body: { type: 'object', required: ['claims'], properties: { claims: { type: 'object' } } },
} as const

export async function labNextTokenClaimsRoute(
  app: FastifyInstance,
  { once }: { readonly once: OnceHooks },
): Promise<void> {
  labJsonApi(app, ['claims'])
  app.post<{ Body: NextTokenClaimsBody }>(
    '/_lab/next-token-claims',
    { schema: nextTokenClaimsSchema },
    async (request, reply) => {
      const { claims } = request.body
      checkClaimsSize(claims, 'claims')
      // Revocation finds a token by its jti: the server's stays, whatever is asked.
      refuseClaims(claims, ['jti'], 'the server sets it (revocation depends on it)')
      if (once.pending().beforeTokenSigning >= MAX_ONCE_HOOKS)
        throw new OAuthError('invalid_request', `At most ${MAX_ONCE_HOOKS} next-token claims may wait.`)
      once.once('beforeTokenSigning', (signing) => ({ ...signing, ...claims }))
      return reply.header('cache-control', 'no-store').send({ pending: once.pending().beforeTokenSigning })
    },
  )
}
