// Lab only (LAB_ADMIN=on, or startLab({ admin: true })): POST /_lab/next-login
// chooses who signs in next, with which extra claims (next-login.ts), for
// tests in any language. A lab power: only the lab key opens it.

import type { FastifyInstance } from 'fastify'
import type { AuthServerContext } from '../context.js'
import { OAuthError } from '../oauth-error.js'
import { labJsonApi } from './json-api.js'
import { checkNextLogin, type NextLogin, type NextLoginState } from './next-login.js'

const nextLoginSchema = {
  body: {
    type: 'object',
    required: ['username'],
    properties: {
      username: { type: 'string', minLength: 1, maxLength: 200 },
      claims: { type: 'object' },
    },
  },
} as const

export async function labNextLoginRoute(
  app: FastifyInstance,
  { ctx, nextLogin }: { readonly ctx: AuthServerContext; readonly nextLogin: NextLoginState },
): Promise<void> {
  labJsonApi(app, ['username', 'claims'])
  app.post<{ Body: NextLogin }>('/_lab/next-login', { schema: nextLoginSchema }, async (request, reply) => {
    const checked = checkNextLogin(request.body, (name) => ctx.users.byUsername(name))
    if ('problem' in checked) throw new OAuthError('invalid_request', `${checked.problem}.`)
    nextLogin.arm(request.body, checked.user)
    return reply.header('cache-control', 'no-store').send({ nextLogin: nextLogin.armed() })
  })
}
