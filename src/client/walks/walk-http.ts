// The few HTTP calls walk scripts make, on the back channel, with the walk's
// flow tag (added by the fetch the runner hands over) and answers as data: a
// walk shows what the server said, it never throws it.

import { describeFailure } from '../oauth-client.js'
import { basicAuthorization } from '../../shared/basic-auth.js'
import type { StepNumber } from '../flow/types.js'
import type { WalkOutcome, WalkRunContext } from './walk.js'

export interface WalkAnswer {
  readonly status: number
  readonly headers: Headers
  readonly json?: Record<string, unknown>
  readonly text: string
}

/** A network failure, as an answer with status 0 and the reason. */
function unreachable(error: unknown): WalkAnswer {
  return { status: 0, headers: new Headers(), text: `The server could not be reached: ${describeFailure(error)}.` }
}

async function read(response: Response): Promise<WalkAnswer> {
  const text = await response.text()
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      json = parsed as Record<string, unknown>
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, ...(json === undefined ? {} : { json }) }
}

export async function send(ctx: WalkRunContext, url: string, init: RequestInit): Promise<WalkAnswer> {
  try {
    return await read(await ctx.fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init }))
  } catch (error) {
    return unreachable(error)
  }
}

/** A form POST (RFC 6749 §3.2: application/x-www-form-urlencoded). */
export function postForm(
  ctx: WalkRunContext,
  url: string,
  form: Readonly<Record<string, string>>,
  headers: Readonly<Record<string, string>> = {},
): Promise<WalkAnswer> {
  return send(ctx, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
  })
}

/**
 * POST /token of the authorization server, on the back channel (RFC 6749
 * §3.2), as the client app (HTTP Basic, §2.3.1) unless `headers` say otherwise
 * (a public client: none).
 */
export function tokenRequest(
  ctx: WalkRunContext,
  form: Readonly<Record<string, string>>,
  headers: Readonly<Record<string, string>> = clientBasic(ctx),
): Promise<WalkAnswer> {
  return postForm(ctx, `${ctx.config.auth.internalUrl}/token`, form, headers)
}

/** HTTP Basic with the client app's own credentials (RFC 6749 §2.3.1). */
export function clientBasic(ctx: WalkRunContext): Record<string, string> {
  return { authorization: basicAuthorization(ctx.config.client.clientId, ctx.config.client.clientSecret) }
}

/** "invalid_client: Client authentication failed", or the status when there is no RFC 6749 §5.2 body. */
export function errorLine(answer: WalkAnswer): string {
  if (answer.status === 0) return answer.text
  const error = answer.json?.error
  const description = answer.json?.error_description
  if (typeof error !== 'string') return `HTTP ${answer.status}`
  return typeof description === 'string' ? `${answer.status} ${error}: ${description}` : `${answer.status} ${error}`
}

/** A stop that could not go on: shown with a ✗, and the walk ends there. */
export function refused(step: StepNumber, title: string, lines: readonly string[]): WalkOutcome {
  return { kind: 'shown', done: true, result: { step, title, ok: false, lines } }
}
