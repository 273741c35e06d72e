// Step 4 (receipt of the authorization response) and Step 5: Client app requests Access token from Auth server (RFC 6749 §4.1.2, §4.1.3)
// In step-through mode, step 4's checks and code are shown with step 5 held below
// them (step-arrival.ts); POST /authenticated/send sends it.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../shared/config.js'
import { renderError } from './errors.js'
import { csrfFormSchema } from './fetch-resource.js'
import {
  buildTokenRequest,
  exchangeCode,
  type BackChannel,
  type Fetch,
  type TokenRequestParams,
  type TokenResult,
} from './oauth-client.js'
import { step5Preview } from './step-through-view.js'
import { codeExpiry, issCheck, stateCheck, type StepArrival } from './step-arrival.js'
import { tokenView } from './token-view.js'
import { walkCallback } from './walks/walk-callback.js'
import { constantTimeEqual } from '../shared/constant-time.js'
import { sha256Base64url } from '../shared/sha256.js'
import { csrfCheck } from '../shared/session-csrf.js'

interface CallbackQuery {
  readonly code?: string
  readonly state?: string
  readonly iss?: string
  readonly error?: string
  readonly error_description?: string
}

// Each known parameter is a single string: a repeated one arrives as an array
// and fails validation (RFC 6749 §3.1: parameters MUST NOT be repeated).
// Unknown parameters are allowed and ignored (RFC 6749 §4.1.2).
const callbackQuerySchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    state: { type: 'string' },
    iss: { type: 'string' },
    error: { type: 'string' },
    error_description: { type: 'string' },
    error_uri: { type: 'string' },
  },
} as const

/** RFC 6749 §3.1: a parameter sent without a value is treated as omitted. */
function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

export async function callbackRoute(
  app: FastifyInstance,
  opts: { config: LabConfig; backChannel: BackChannel; fetch: Fetch },
): Promise<void> {
  const { config } = opts
  app.get<{ Querystring: CallbackQuery }>(
    '/authenticated',
    { schema: { querystring: callbackQuerySchema } },
    async (request, reply) => {
      const query = request.query
      // A walk-through's authorization request comes back here too (walks/walk-callback.ts).
      if (await walkCallback(request, reply, config, opts.fetch, { ...query })) return reply
      const pending = request.session.clientPendingFlow
      const state = present(query.state)
      const stepThrough = request.session.clientStepThrough === true
      // Step-through mode shows step 4: the real results of both checks, refused or not.
      const arrival = (): StepArrival => ({
        checks: [stateCheck(pending, state), issCheck(present(query.iss), config.auth.publicUrl)],
        ...(present(query.code) === undefined ? {} : { code: present(query.code) }),
        requestLine: `GET ${request.url} HTTP/1.1`,
        ...(present(query.iss) === undefined ? {} : { issuer: present(query.iss) }),
      })
      // RFC 6749 §10.12, RFC 9700 §4.7.1: a response whose state is not the
      // one this browser's session sent is a CSRF attempt; no code is redeemed.
      if (!pending || state === undefined || !constantTimeEqual(state, pending.state)) {
        const used = request.session.clientUsedState
        if (state !== undefined && used !== undefined && constantTimeEqual(sha256Base64url(state), used)) {
          return renderError(
            reply,
            400,
            'This callback was already used',
            'This authorization response (its code and state) was already used by this app: a reload or the back button opened it again. Its state is one-time, so it was refused and no token was requested.',
            'Nothing is wrong with the flow you finished; press Connect to start a new one (RFC 9700 §4.7.1: state is one-time; RFC 6749 §10.5: so is the code).',
          )
        }
        return (stepThrough ? refuseArrival(arrival()) : renderError)(
          reply,
          400,
          'State does not match',
          'The state parameter of this authorization response does not match the one this app sent in step 1, so the response was refused and no token was requested.',
          'A forged, replayed or stale callback is rejected to prevent cross-site request forgery (RFC 6749 §10.12, RFC 9700 §4.7.1). Start again with Connect.',
        )
      }
      // The state is one-time (RFC 9700 §4.7.1): consumed now, whatever follows.
      delete request.session.clientPendingFlow
      request.session.clientUsedState = sha256Base64url(state)

      // RFC 9207 §2.4: iss MUST be present (this AS advertises it) and equal the
      // expected issuer by simple string comparison, errors included; else the
      // response may come from another AS (mix-up attack) and is not used.
      const iss = present(query.iss)
      if (iss !== config.auth.publicUrl) {
        return (stepThrough ? refuseArrival(arrival()) : renderError)(
          reply,
          400,
          'Issuer does not match',
          iss === undefined
            ? 'The authorization response has no iss parameter, so this app cannot tell which authorization server sent it. No token was requested.'
            : `The authorization response says it comes from ${iss}, not from ${config.auth.publicUrl}. No token was requested.`,
          'RFC 9207 §2.4: mix-up attack defence.',
        )
      }

      const error = present(query.error)
      if (error !== undefined) {
        return renderError(
          reply,
          400,
          'Authorization was not granted',
          `The authorization server answered with error ${error}.`,
          present(query.error_description),
        )
      }

      const code = present(query.code)
      if (code === undefined) {
        return renderError(
          reply,
          400,
          'No authorization code',
          'The authorization response carries neither a code nor an error (RFC 6749 §4.1.2).',
        )
      }
      // RFC 6749 §4.1.3: the exact redirect_uri of step 1; RFC 7636 §4.5: the verifier.
      const params = { code, codeVerifier: pending.codeVerifier, redirectUri: pending.redirectUri }
      if (stepThrough) {
        const shown = { ...arrival(), expiry: codeExpiry(config, pending, Date.now()) }
        return holdTokenRequest(reply, config, params, shown)
      }
      return redeem(reply, config, opts.backChannel, params)
    },
  )

  // Step-through's "Send": the held step 5 request, exactly as previewed, once.
  app.post(
    '/authenticated/send',
    { schema: { body: csrfFormSchema }, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const params = request.session.clientPendingTokenRequest
      delete request.session.clientPendingTokenRequest
      if (!params) {
        return renderError(
          reply,
          400,
          'Nothing to send',
          'No step 5 is waiting: it was already sent, or no authorization response came in.',
        )
      }
      return redeem(reply, config, opts.backChannel, params)
    },
  )
}

/** Step-through mode: keep the step 5 request in the session (used once) and show it, below step 4's result. */
function holdTokenRequest(
  reply: FastifyReply,
  config: LabConfig,
  params: TokenRequestParams,
  arrival: StepArrival,
): Promise<string> {
  reply.request.session.clientPendingTokenRequest = params
  const preview = step5Preview(buildTokenRequest(config, params), reply.generateCsrf(), arrival)
  return reply.code(200).header('cache-control', 'no-store').viewAsync('client/step-preview', { preview })
}

/** Step-through mode: a refused authorization response is shown as step 4, its failed check with its reason. */
function refuseArrival(arrival: StepArrival) {
  return (reply: FastifyReply, status: number, title: string, message: string, detail?: string): Promise<string> =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .viewAsync('client/step-arrival-refused', { arrival, title, message, detail })
}

/** Step 5, then the token page (step 6). */
async function redeem(
  reply: FastifyReply,
  config: LabConfig,
  backChannel: BackChannel,
  params: TokenRequestParams,
): Promise<string> {
  const result = await exchangeCode(config, backChannel, params)
  if (!result.ok) return tokenError(reply, result)
  // A new session id once a token is held, so a planted session id (fixation) gains nothing.
  // The teacher's step-through setting is not a secret: it survives, as does the used state's hash.
  const { request } = reply
  await request.session.regenerate(['clientStepThrough', 'clientUsedState'])
  request.session.clientToken = result.token
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .viewAsync('client/authenticated', {
      token: tokenView(result.token),
      csrfToken: reply.generateCsrf(),
    })
}

function tokenError(reply: FastifyReply, result: Extract<TokenResult, { ok: false }>): Promise<string> {
  if (result.unreachable) {
    return renderError(
      reply,
      502,
      'Authorization server unreachable',
      `The token request to the authorization server failed: ${result.reason}.`,
    )
  }
  // An RFC 6749 §5.2 error (400/401) is shown as a 400; any other answer is a bad gateway.
  const isOAuthError = result.status >= 400 && result.status < 500 && result.error !== 'unexpected_response'
  const status = isOAuthError ? 400 : 502
  return renderError(
    reply,
    status,
    'Token request refused',
    `The authorization server answered the token request with HTTP ${result.status} and error ${result.error}.`,
    result.error_description,
  )
}
