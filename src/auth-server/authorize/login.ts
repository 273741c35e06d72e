// Step 2: Resource owner authenticates on Authorization server (RFC 6749 §3.1)

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ClientRegistration, UserAccount } from '../../shared/config.js'
import type { AuthServerContext } from '../context.js'
import { renderErrorPage } from '../oauth-error.js'
import { endInteraction, findInteraction } from './interactions.js'
import { constantTimeEqual } from '../../shared/constant-time.js'
import { csrfCheck } from '../../shared/session-csrf.js'

interface LoginBody {
  username?: string
  password?: string
  interaction?: string
  _csrf?: string
}

const loginSchema = {
  body: {
    type: 'object',
    properties: {
      username: { type: 'string', maxLength: 200 },
      password: { type: 'string', maxLength: 200 },
      interaction: { type: 'string', maxLength: 100 },
      _csrf: { type: 'string', maxLength: 200 },
    },
  },
} as const

/** At most this many users are named on the sign-in page; a long list only says how many more. */
const USERS_SHOWN = 5

/**
 * The sign-in page's hint: the lab's users as configured (a lab's passwords
 * are public, see the README's "Security model"), not the built-in ones when
 * the configuration replaced them.
 */
export function usersHint(users: readonly UserAccount[]): string | undefined {
  const names = users.slice(0, USERS_SHOWN).map((u) => `${u.username} / ${u.password}`)
  const more = users.length - names.length
  const last = more > 0 ? `${more} more` : names.pop()
  if (last === undefined) return undefined
  const list = names.length === 0 ? last : `${names.join(', ')} and ${last}`
  return `${users.length === 1 ? 'User' : 'Users'} of this lab: ${list}.`
}

/** Workshop mode: each learner's password is theirs alone, so the hint names only the configured users. */
function hintedUsers(ctx: Pick<AuthServerContext, 'config' | 'users'>): readonly UserAccount[] {
  return ctx.config.workshop === true ? ctx.config.users : ctx.users.all()
}

export function renderLogin(
  reply: FastifyReply,
  data: { client?: ClientRegistration; interaction: string; error?: string; username?: string },
  status = 200,
): Promise<string> {
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/login', {
    title: 'Sign in',
    clientName: data.client?.name,
    interaction: data.interaction,
    csrfToken: reply.generateCsrf(),
    error: data.error,
    username: data.username ?? '',
    usersHint: usersHint(hintedUsers(reply.server.oauthLab)),
  })
}

/** Constant-time password check, so timing tells nothing about the password. */
export function checkCredentials(
  users: readonly UserAccount[],
  username: string,
  password: string,
): UserAccount | undefined {
  const user = users.find((u) => u.username === username)
  const ok = constantTimeEqual(password, user?.password ?? '\u0000no-such-user')
  return user && ok ? user : undefined
}

export async function loginRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  app.post<{ Body: LoginBody }>(
    '/login',
    { schema: loginSchema, preValidation: csrfCheck(app) },
    async (request, reply) => handleLogin(ctx, request, reply),
  )
}

async function handleLogin(ctx: AuthServerContext, request: FastifyRequest<{ Body: LoginBody }>, reply: FastifyReply) {
  const { username = '', password = '', interaction = '' } = request.body ?? {}
  const pending = findInteraction(request, interaction, ctx.now())
  if (pending === undefined) {
    return renderErrorPage(
      reply,
      400,
      'Sign-in expired',
      'This sign-in is unknown or took too long. Start again from the client app.',
    )
  }
  const client = pending.clientId === undefined ? undefined : ctx.clients.get(pending.clientId)
  const user = checkCredentials(ctx.users.all(), username, password)
  if (!user) {
    return renderLogin(reply, { client, interaction, error: 'Wrong username or password.', username }, 401)
  }
  // A new session id at sign-in prevents session fixation; pending interactions survive.
  endInteraction(request, interaction)
  await request.session.regenerate(['interactions'])
  request.session.user = { sub: user.sub, authTime: Math.floor(ctx.now() / 1000) }
  // Resume where the user was sent from: a path the server built, never a URL
  // from the form, and always local (RFC 9700 §4.11: no open redirector).
  const resume = pending.resume.startsWith('/') && !pending.resume.startsWith('//') ? pending.resume : '/account/grants'
  return reply.redirect(resume, 303)
}
