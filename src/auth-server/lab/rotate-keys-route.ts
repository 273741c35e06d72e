// Lab only (LAB_ADMIN=on, or startLab({ admin: true })): POST /_lab/keys/rotate
// rotates the signing keys. `{"publishFirst": true}` publishes the next keys in
// /jwks at once and keeps signing with the current ones until a second call
// (or `{"promote": true}`), so a verifier whose JWKS cache refetches at most
// every 30 s already knows the new kid when the first token signed with it
// arrives (OIDC Core §10.1.1). Without a body: a new key signs at once, as the
// rotate-keys scenario does. A lab power: only the lab key opens it.

import type { FastifyInstance } from 'fastify'
import { NoKeyWaitingError, type KeyRing } from '../tokens/keys.js'
import { OAuthError } from '../oauth-error.js'
import { labJsonApi } from './json-api.js'

interface RotateBody {
  readonly publishFirst?: boolean
  readonly promote?: boolean
}

const rotateSchema = {
  body: {
    type: 'object',
    properties: { publishFirst: { type: 'boolean' }, promote: { type: 'boolean' } },
  },
} as const

export async function labRotateKeysRoute(app: FastifyInstance, { keys }: { readonly keys: KeyRing }): Promise<void> {
  labJsonApi(app, ['publishFirst', 'promote'], true)
  app.post<{ Body: RotateBody }>('/_lab/keys/rotate', { schema: rotateSchema }, async (request, reply) => {
    try {
      const rotation = await keys.rotate(request.body)
      return reply.header('cache-control', 'no-store').send({ ...rotation, keys: keys.publishedKids() })
    } catch (error) {
      if (error instanceof NoKeyWaitingError) throw new OAuthError('invalid_request', `${error.message}.`)
      throw error
    }
  })
}
