// The user's remembered decisions (the stored decision of step 2 of the seven steps): listed at
// GET /account/grants, each revocable; and "Sign out", which ends the session.

import type { FastifyInstance, FastifyReply } from 'fastify'
import { findInteraction, startInteraction } from '../authorize/interactions.js'
import { renderLogin } from '../authorize/login.js'
import type { AuthServerContext } from '../context.js'
import { renderErrorPage } from '../oauth-error.js'
import { finish } from '../oidc/end-session.js'
import { csrfCheck } from '../../shared/session-csrf.js'

const GRANTS_PATH = '/account/grants'

const revokeSchema = {
  body: {
    type: 'object',
    required: ['client_id'],
    properties: { client_id: { type: 'string', maxLength: 200 }, _csrf: { type: 'string', maxLength: 200 } },
  },
} as const

const logoutSchema = {
  body: {
    type: 'object',
    properties: { _csrf: { type: 'string', maxLength: 200 }, interaction: { type: 'string', maxLength: 100 } },
  },
} as const

function renderGrants(ctx: AuthServerContext, reply: FastifyReply, sub: string) {
  const grants = ctx.store.listGrants(sub).map((g) => ({
    clientId: g.clientId,
    clientName: ctx.clients.get(g.clientId)?.name ?? g.clientId,
    scopes: g.scopes.map((name) => ({
      name,
      description: ctx.config.scopes.find((s) => s.name === name)?.description ?? '',
    })),
    createdAt: new Date(g.createdAt).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
  }))
  reply.code(200).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/account-grants', {
    title: 'Your remembered decisions',
    username: sub,
    grants,
    csrfToken: reply.generateCsrf(),
  })
}

export async function accountRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  app.get(GRANTS_PATH, async (request, reply) => {
    const user = request.session.user
    if (!user) {
      const interaction = startInteraction(request, { resume: GRANTS_PATH }, ctx.now())
      return renderLogin(reply, { interaction })
    }
    return renderGrants(ctx, reply, user.sub)
  })

  // Withdrawing a decision: the next authorization asks again, and the
  // refresh tokens it led to stop working (RFC 7009 §2.1 spirit, RFC 9700 §4.14.2).
  app.post<{ Body: { client_id: string } }>(
    `${GRANTS_PATH}/revoke`,
    { schema: revokeSchema, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const user = request.session.user
      if (!user) return renderErrorPage(reply, 401, 'Not signed in', 'Sign in to manage your remembered decisions.')
      const clientId = request.body.client_id
      const forgotten = ctx.store.forgetGrant(user.sub, clientId)
      ctx.store.revokeFamiliesOf(user.sub, clientId)
      request.log.info({ sub: user.sub, clientId, forgotten }, 'remembered decision revoked')
      // Post/redirect/get to our own fixed path.
      return reply.redirect(GRANTS_PATH, 303)
    },
  )

  app.post<{ Body: { interaction?: string } }>(
    '/logout',
    { schema: logoutSchema, preValidation: csrfCheck(app) },
    async (request, reply) => {
      // Read before the session, which holds it, is destroyed.
      const postLogout = findInteraction(request, request.body?.interaction, ctx.now())?.postLogout
      await request.session.destroy()
      return finish(reply, postLogout)
    },
  )
}
