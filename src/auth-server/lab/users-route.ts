// Lab only (LAB_ADMIN=on, or startLab({ admin: true })): POST /_lab/users adds
// a user while the lab runs, written and checked as a config file's user
// (account/user-directory.ts): a problem is 400 naming the JSON pointer in
// the body. A lab power: only the lab key opens it.

import type { FastifyInstance } from 'fastify'
import { ConfigFileError, formatIssue } from '../../shared/config-error.js'
import { USER_SCHEMA } from '../../shared/config-items.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError } from '../oauth-error.js'
import { labJsonApi } from './json-api.js'

const USER_FIELDS = ['$comment', 'username', 'password', 'sub', 'claims']

export async function labUsersRoute(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  labJsonApi(app, USER_FIELDS)
  // The config file's own user schema; the directory checks the rest (unique names, sizes).
  app.post('/_lab/users', { schema: { body: USER_SCHEMA } }, async (request, reply) => {
    try {
      const user = ctx.users.add(request.body, (id) => ctx.clients.get(id) !== undefined, 'user')
      // The password is the caller's own; it is not sent back.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ username: user.username, sub: user.sub, ...(user.claims ? { claims: user.claims } : {}) })
    } catch (error) {
      if (!(error instanceof ConfigFileError)) throw error
      // RFC 6749 §5.2: error_description has no double quotes.
      const lines = error.issues.map((issue) => formatIssue('', issue).trim().replace(/"/g, "'"))
      throw new OAuthError('invalid_request', `${lines.join('; ')}.`)
    }
  })
}
