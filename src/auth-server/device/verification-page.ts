// RFC 8628 §3.3: the verification page (verification_uri). The user types the
// code the device shows (or arrives with it filled in, verification_uri_complete),
// signs in on the same page as for /authorize, and decides on the same consent
// page. Wrong codes are rate-limited (RFC 8628 §5.1, wrong-code-limit.ts).
//
// Consent is always asked here, even when a remembered decision covers the
// scopes: RFC 8628 §5.4 (remote phishing) warns that an attacker can start a
// device authorization and talk a victim into entering its user code; a
// skipped consent page would then hand the attacker the victim's access
// without the victim ever seeing which client asked. The page is the one
// place the user can notice; a remembered decision still counts elsewhere.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { csrfCheck } from '../../shared/session-csrf.js'
import type { AuthServerContext } from '../context.js'
import { renderErrorPage } from '../oauth-error.js'
import { renderConsent } from '../authorize/consent.js'
import { findInteraction, startInteraction } from '../authorize/interactions.js'
import { renderLogin } from '../authorize/login.js'
import { codeExpired } from './device-decision.js'
import { displayUserCode, normaliseUserCode } from './user-code.js'
import { createWrongCodeLimit } from './wrong-code-limit.js'

const MAX_CODE_INPUT = 32

const pageQuery = {
  querystring: {
    type: 'object',
    properties: { user_code: { type: 'string', maxLength: MAX_CODE_INPUT } },
  },
} as const
const codeBody = {
  body: {
    type: 'object',
    properties: {
      user_code: { type: 'string', maxLength: MAX_CODE_INPUT },
      _csrf: { type: 'string', maxLength: 200 },
    },
  },
} as const
const continueQuery = {
  querystring: {
    type: 'object',
    properties: { interaction: { type: 'string', maxLength: 100 } },
  },
} as const

export async function deviceVerificationRoutes(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  const limit = createWrongCodeLimit()

  app.get<{ Querystring: { user_code?: string } }>('/device', { schema: pageQuery }, async (request, reply) =>
    renderCodePage(reply, { userCode: request.query.user_code ?? '' }),
  )

  app.post<{ Body: { user_code?: string } }>(
    '/device',
    { schema: codeBody, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const typed = request.body?.user_code ?? ''
      const now = ctx.now()
      const retryAfter = limit.retryAfter(request, now)
      if (retryAfter !== undefined) {
        reply.header('retry-after', String(retryAfter))
        const minutes = Math.ceil(retryAfter / 60)
        const error = `Too many wrong codes. Wait ${minutes === 1 ? 'a minute' : `${minutes} minutes`}, then try again.`
        return renderCodePage(reply, { userCode: typed, error }, 429)
      }
      const userCode = normaliseUserCode(typed)
      const authorization = userCode === undefined ? undefined : ctx.store.findPendingDevice(userCode)
      if (userCode === undefined || authorization === undefined) {
        limit.recordWrong(request, now)
        const error = 'That code is not valid, or it has expired. Check the code your device shows and try again.'
        return renderCodePage(reply, { userCode: typed, error }, 400)
      }
      const interaction = startInteraction(
        request,
        { resume: '/device', clientId: authorization.clientId, device: userCode },
        now,
      )
      return signInThenConsent(ctx, request, reply, interaction)
    },
  )

  // Where sign-in comes back to (login.ts resumes at a local path the server built).
  app.get<{ Querystring: { interaction?: string } }>(
    '/device/continue',
    { schema: continueQuery },
    async (request, reply) => signInThenConsent(ctx, request, reply, request.query.interaction ?? ''),
  )
}

/** The sign-in page first if no one is signed in, then the consent page for the device's client and scopes. */
async function signInThenConsent(
  ctx: AuthServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  interaction: string,
): Promise<unknown> {
  const now = ctx.now()
  const userCode = findInteraction(request, interaction, now)?.device
  if (userCode === undefined) {
    return renderErrorPage(
      reply,
      400,
      'Code entry expired',
      'This step is unknown or took too long. Enter the code again.',
    )
  }
  const authorization = ctx.store.findPendingDevice(userCode)
  const client = authorization && ctx.clients.get(authorization.clientId)
  if (!authorization || !client) return codeExpired(reply)
  const user = request.session.user
  if (!user) {
    const signIn = startInteraction(
      request,
      { resume: `/device/continue?interaction=${encodeURIComponent(interaction)}`, clientId: client.clientId },
      now,
    )
    return renderLogin(reply, { client, interaction: signIn })
  }
  return renderConsent(ctx, reply, {
    authz: { client, scopes: authorization.scopes },
    user,
    interaction,
    userCode: displayUserCode(userCode),
  })
}

function renderCodePage(
  reply: FastifyReply,
  data: { userCode: string; error?: string },
  status = 200,
): Promise<string> {
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('auth-server/device', {
    title: 'Connect a device',
    userCode: data.userCode,
    error: data.error,
    csrfToken: reply.generateCsrf(),
  })
}
