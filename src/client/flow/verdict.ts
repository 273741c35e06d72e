// The flow's verdict: completed, stopped (by which check, with its RFC
// section) or unfinished. A flow is stopped by the first refusal the servers
// recorded: a 4xx from /token or the resource, an `error=` redirect, the
// authorization server's error page at /authorize, or the client app's error
// page at its callback.

import { endOf, formOf, locationParams, pathOf, queryOf, responseHeader, responseJson } from './http.js'
import { AUTHORIZE_PATHS, TOKEN_PATHS } from './index-exchanges.js'
import type { Flow, FlowEntry, RecordedExchange, StepNumber } from './types.js'
import { TOKEN_EXCHANGE_GRANT } from '../../shared/enumerations.js'
import { textOf } from '../break-it/html-text.js'
import { findWalk } from '../walks/definitions.js'
import { isNotYet } from './not-yet.js'
import type { WalkName } from '../walks/walk.js'

export type CheckId =
  | 'state'
  | 'issuer'
  | 'consent'
  | 'authorization-error'
  | 'one-time-code'
  | 'code-valid'
  | 'redirect-uri'
  | 'pkce'
  | 'client-authentication'
  | 'token-request'
  | 'token-validity'
  | 'scope'
  | 'resource-refused'
  | 'client-error'
  | 'refresh-rotation'
  | 'token-signature'
  | 'token-alg'
  | 'audience'
  | 'redirect-uri-registered'
  | 'dpop'
  | 'request-uri'
  | 'token-exchange'
  | 'device-polling'
  | 'device-code-expired'
  | 'user-code'

/** The check that stopped a flow, in words, and where the rule is written. */
export interface StoppingCheck {
  readonly id: CheckId
  readonly name: string
  readonly rfc: string
}

export interface Verdict {
  readonly outcome: 'completed' | 'stopped' | 'unfinished'
  /** Stopped: the step whose request was refused; otherwise the furthest step reached. */
  readonly step: StepNumber
  readonly check?: StoppingCheck
  /** What the server said (error and error_description, or the error page's title). */
  readonly said?: string
  /** The exchange that stopped the flow (its entry's index, for the page's anchor). */
  readonly entryIndex?: number
  /** One sentence, e.g. "✗ Stopped at step 5 by the PKCE check: …". */
  readonly text: string
}

const CHECKS: Record<CheckId, Omit<StoppingCheck, 'id'>> = {
  state: { name: 'the state check', rfc: 'RFC 6749 §10.12, RFC 9700 §4.7.1' },
  issuer: { name: 'the issuer (iss) check', rfc: 'RFC 9207 §2.4' },
  consent: { name: 'the resource owner’s consent', rfc: 'RFC 6749 §4.1.2.1' },
  'authorization-error': { name: 'the authorization endpoint', rfc: 'RFC 6749 §4.1.2.1' },
  'one-time-code': { name: 'the one-time code check', rfc: 'RFC 6749 §4.1.2, §10.5' },
  'code-valid': { name: 'the code check', rfc: 'RFC 6749 §4.1.3, §5.2' },
  'redirect-uri': { name: 'the redirect_uri check', rfc: 'RFC 6749 §4.1.3' },
  pkce: { name: 'the PKCE check', rfc: 'RFC 7636 §4.5, §4.6' },
  'client-authentication': { name: 'client authentication', rfc: 'RFC 6749 §2.3.1, §5.2' },
  'token-request': { name: 'the token endpoint', rfc: 'RFC 6749 §5.2' },
  'token-validity': { name: 'the access token check', rfc: 'RFC 6750 §3.1, RFC 9068 §4' },
  scope: { name: 'the scope check', rfc: 'RFC 6750 §3.1' },
  'resource-refused': { name: 'the resource server', rfc: 'RFC 6750 §3.1' },
  'client-error': { name: 'the client app', rfc: 'RFC 6749 §4.1.2' },
  'refresh-rotation': { name: 'refresh token rotation', rfc: 'RFC 9700 §4.14.2, RFC 6749 §6' },
  'token-signature': { name: 'the signature check', rfc: 'RFC 7515 §5.2, RFC 9068 §4, RFC 6750 §3.1' },
  'token-alg': { name: 'the algorithm check (never alg none)', rfc: 'RFC 8725 §3.1, §2.1, RFC 9068 §4' },
  audience: { name: 'the audience (aud) check', rfc: 'RFC 9068 §4, RFC 8707 §2' },
  'redirect-uri-registered': {
    name: 'the registered redirect_uri check',
    rfc: 'RFC 6749 §4.1.2.1, §10.15, RFC 9700 §4.1.3',
  },
  dpop: { name: 'the DPoP check', rfc: 'RFC 9449 §7.1' },
  'request-uri': { name: 'the pushed request_uri check', rfc: 'RFC 9126 §2.2, §4' },
  'token-exchange': { name: 'the token exchange check', rfc: 'RFC 8693 §2.2.2' },
  'device-polling': { name: 'the polling interval check', rfc: 'RFC 8628 §3.5' },
  'device-code-expired': { name: 'the device code lifetime check', rfc: 'RFC 8628 §3.5' },
  'user-code': { name: 'the user code check', rfc: 'RFC 8628 §3.3, §5.1' },
}

export function stoppingCheck(id: CheckId): StoppingCheck {
  return { id, ...CHECKS[id] }
}

interface Refusal {
  readonly check: CheckId
  readonly said: string
  readonly step: StepNumber
}

export function flowVerdict(flow: Pick<Flow, 'entries' | 'walk'>): Verdict {
  if (flow.walk) return walkVerdict(flow.entries, flow.walk.name)
  const refusals = flow.entries
    .map((entry, i) => ({ entry, i, refusal: refusalOf(entry) }))
    .filter((x): x is { entry: FlowEntry; i: number; refusal: Refusal } => x.refusal !== undefined)
    // The earliest answer: a refused token request ends before the callback that made it.
    .sort((a, b) => endOf(a.entry.exchange) - endOf(b.entry.exchange))
  const first = refusals[0]
  if (first !== undefined) {
    const check = stoppingCheck(first.refusal.check)
    return {
      outcome: 'stopped',
      step: first.refusal.step,
      check,
      said: first.refusal.said,
      entryIndex: first.i,
      text: `\u2717 Stopped at step ${first.refusal.step} by ${check.name} (${check.rfc}): ${first.refusal.said}`,
    }
  }
  const reached = flow.entries.reduce<StepNumber>((max, e) => (e.step > max ? e.step : max), 1)
  const done = flow.entries.some(
    (e) => e.exchange.role === 'resource-server' && pathOf(e.exchange) === '/resource' && ok(e.exchange),
  )
  return done
    ? {
        outcome: 'completed',
        step: 7,
        text: '\u2713 Completed: the resource server answered step 7 with the resource.',
      }
    : {
        outcome: 'unfinished',
        step: reached,
        text: `Not finished: the flow has reached step ${reached} so far and nothing refused it.`,
      }
}

const ok = (e: RecordedExchange) => e.response.status < 400

/** Only an entry that holds the answer can be a refusal (a request alone is not). */
function refusalOf(entry: FlowEntry): Refusal | undefined {
  if (entry.part === 'request') return undefined
  const e = entry.exchange
  if (isNotYet(e)) return undefined
  const path = pathOf(e)
  const requestStep = (entry.part === 'both' ? entry.step : Math.max(1, entry.step - 1)) as StepNumber
  if (e.role === 'auth-server') {
    if (TOKEN_PATHS.has(path) && e.response.status >= 400) return tokenRefusal(e)
    if (path === '/device' && e.response.status >= 400) return userCodeRefusal(e, 3)
    // OIDC Core §5.3.3: userinfo is a protected resource; its refusals are RFC 6750 §3's.
    if (path === '/userinfo' && e.response.status >= 400) return resourceRefusal(e)
    if (AUTHORIZE_PATHS.has(path) && e.response.status >= 400 && queryOf(e).has('request_uri'))
      return requestUriRefusal(e)
    if (AUTHORIZE_PATHS.has(path) && e.response.status >= 400 && responseHeader(e, 'location') === undefined)
      return authorizePageRefusal(e)
    const error = locationParams(e).get('error')
    if (error !== null && (AUTHORIZE_PATHS.has(path) || path === '/consent'))
      return {
        check: error === 'access_denied' ? 'consent' : 'authorization-error',
        said: withDescription(error, locationParams(e).get('error_description')),
        // The owner's decision is step 3; any other error is the authorization request's (step 1).
        step: path === '/consent' ? 3 : 1,
      }
    return undefined
  }
  if (e.role === 'resource-server' && path === '/resource' && e.response.status >= 400) return resourceRefusal(e)
  if (e.role === 'client' && path.startsWith('/authenticated') && e.response.status >= 400)
    return callbackRefusal(e, requestStep)
  return undefined
}

function withDescription(error: string, description: string | null | undefined): string {
  return description ? `${error}: ${description}` : error
}

function tokenRefusal(e: RecordedExchange): Refusal {
  const json = responseJson(e)
  const error = typeof json?.error === 'string' ? json.error : `HTTP ${e.response.status}`
  const description = typeof json?.error_description === 'string' ? json.error_description : ''
  // RFC 8693 §2.2.2: a refused exchange is the token exchange's own check.
  // A refused refresh (a spent or revoked refresh token) is rotation's doing, not the code's.
  const refresh = formOf(e).get('grant_type') === 'refresh_token' && error === 'invalid_grant'
  const check =
    formOf(e).get('grant_type') === TOKEN_EXCHANGE_GRANT
      ? 'token-exchange'
      : refresh
        ? 'refresh-rotation'
        : tokenCheckOf(error, description)
  return { check, said: withDescription(error, description), step: 5 }
}

/** RFC 9126 §4: /authorize refuses a pushed request_uri (used, expired, another client's) with an HTML page. */
function requestUriRefusal(e: RecordedExchange): Refusal {
  const alert = /<p class="error" role="alert">([\s\S]*?)<\/p>/.exec(e.response.body ?? '')?.[1]
  return { check: 'request-uri', said: alert === undefined ? `HTTP ${e.response.status}` : textOf(alert), step: 1 }
}

// Read from the authorization server's error_description (auth-server/token/grants/authorization-code.ts).
function tokenCheckOf(error: string, description: string): CheckId {
  if (error === 'invalid_client') return 'client-authentication'
  if (error === 'invalid_dpop_proof') return 'dpop'
  // The device grant's polls (RFC 8628 §3.5).
  if (error === 'slow_down') return 'device-polling'
  if (error === 'expired_token') return 'device-code-expired'
  if (error === 'access_denied') return 'consent'
  if (error !== 'invalid_grant') return 'token-request'
  if (/already used/i.test(description)) return 'one-time-code'
  if (/redirect_uri/.test(description)) return 'redirect-uri'
  if (/code_verifier|code_challenge/.test(description)) return 'pkce'
  return 'code-valid'
}

/**
 * RFC 9449 §8 / §9: a server asking for its DPoP nonce (use_dpop_nonce with a
 * DPoP-Nonce header) is part of the protocol: the client retries with it.
 */
function resourceRefusal(e: RecordedExchange): Refusal {
  const challenge = responseHeader(e, 'www-authenticate') ?? ''
  const error = /error="([^"]*)"/.exec(challenge)?.[1]
  const description = /error_description="([^"]*)"/.exec(challenge)?.[1]
  // RFC 9449 §7.1: a refusal with the DPoP challenge is the DPoP check's (a bound token as Bearer, a bad proof, another key).
  const dpop = /^DPoP\b/i.test(challenge) && (error === 'invalid_dpop_proof' || error === 'invalid_token')
  const check: CheckId = dpop
    ? 'dpop'
    : error === 'insufficient_scope'
      ? 'scope'
      : error === 'invalid_token'
        ? invalidTokenCheckOf(description ?? '')
        : 'resource-refused'
  return { check, said: withDescription(error ?? `HTTP ${e.response.status}`, description), step: 7 }
}

// Read from the resource server's error_description (resource-server/check-jwt.ts, check-token.ts).
function invalidTokenCheckOf(description: string): CheckId {
  if (/signature is invalid/.test(description)) return 'token-signature'
  if (/alg is not accepted/.test(description)) return 'token-alg'
  if (/not meant for .* \(aud\)/.test(description)) return 'audience'
  return 'token-validity'
}

/**
 * The authorization server's own error page at /authorize (views/error.eta):
 * a request it must not redirect, e.g. an unregistered redirect_uri (RFC 6749
 * §4.1.2.1). Its h1 and alert say what was refused.
 */
function authorizePageRefusal(e: RecordedExchange): Refusal {
  const body = e.response.body ?? ''
  const title = decodeHtml(/<h1>([^<]*)<\/h1>/.exec(body)?.[1]?.trim() ?? `HTTP ${e.response.status}`)
  const alert = decodeHtml(/<p class="error" role="alert">([^<]*)<\/p>/.exec(body)?.[1]?.trim() ?? '')
  const check: CheckId = /redirect_uri/.test(alert) ? 'redirect-uri-registered' : 'authorization-error'
  const said = `the authorization server answered \u201c${title}\u201d` + (alert === '' ? '' : `: ${alert}`)
  return { check, said, step: 1 }
}

/** Eta's escaping undone (`&amp;` last). */
function decodeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The client app's error page (views/error.eta): its h1 names the check. */
function callbackRefusal(e: RecordedExchange, step: StepNumber): Refusal {
  const body = e.response.body ?? ''
  const title = /<h1>([^<]*)<\/h1>/.exec(body)?.[1]?.trim() ?? `HTTP ${e.response.status}`
  const check: CheckId = /state|already used/i.test(title)
    ? 'state'
    : /issuer/i.test(title)
      ? 'issuer'
      : /not granted/i.test(title)
        ? 'consent'
        : 'client-error'
  return { check, said: `the client app answered “${title}”`, step: check === 'state' ? 4 : step }
}

/**
 * A walk-through's verdict: stopped by the first answer of 400 or more that
 * the walk does not expect (else: what is not yet a refusal, not-yet.ts),
 * at the step its request was made in; completed once its last step is answered.
 */
function walkVerdict(entries: readonly FlowEntry[], name: WalkName): Verdict {
  const walk = findWalk(name)
  const steps = walk?.steps ?? []
  const lastStep = steps[steps.length - 1]?.n ?? 7
  const i = entries.findIndex(
    (x) =>
      x.part !== 'request' &&
      x.exchange.response.status >= 400 &&
      !(walk?.expected?.(x.exchange) ?? isNotYet(x.exchange)),
  )
  const refused = entries[i]
  if (refused !== undefined) {
    const e = refused.exchange
    const step = entries.find((x) => x.exchange === e && x.part !== 'response')?.step ?? refused.step
    const refusal =
      e.role === 'resource-server'
        ? resourceRefusal(e)
        : e.role === 'auth-server' && TOKEN_PATHS.has(pathOf(e))
          ? tokenRefusal(e)
          : e.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(e)) && queryOf(e).has('request_uri')
            ? requestUriRefusal(e)
            : e.role === 'auth-server' && pathOf(e) === '/device'
              ? userCodeRefusal(e, step)
              : genericRefusal(e)
    const check = stoppingCheck(refusal.check)
    return {
      outcome: 'stopped',
      step,
      check,
      said: refusal.said,
      entryIndex: i,
      text: `\u2717 Stopped at step ${step} by ${check.name} (${check.rfc}): ${refusal.said}`,
    }
  }
  const reached = entries.reduce<StepNumber>((max, e) => (e.step > max ? e.step : max), 1)
  const done = entries.some(
    (x) => x.step === lastStep && x.part !== 'request' && x.exchange.role !== 'client' && ok(x.exchange),
  )
  return done
    ? { outcome: 'completed', step: lastStep, text: `\u2713 Completed: step ${lastStep} was answered.` }
    : {
        outcome: 'unfinished',
        step: reached,
        text: `Not finished: the flow has reached step ${reached} so far and nothing refused it.`,
      }
}

/**
 * The device verification page refused the code typed (RFC 8628 §3.3): 400
 * for a wrong or expired code, 429 with Retry-After once too many wrong codes
 * were typed (§5.1). Its alert says which.
 */
function userCodeRefusal(e: RecordedExchange, step: StepNumber): Refusal {
  const alert = /<p class="error" role="alert">([^<]*)<\/p>/.exec(e.response.body ?? '')?.[1]?.trim()
  const retryAfter = responseHeader(e, 'retry-after')
  const said = `HTTP ${e.response.status}${retryAfter === undefined ? '' : ` (Retry-After: ${retryAfter})`}${alert === undefined ? '' : `: ${alert}`}`
  return { check: 'user-code', said, step }
}

function genericRefusal(e: RecordedExchange): Refusal {
  const json = responseJson(e)
  const error = typeof json?.error === 'string' ? json.error : `HTTP ${e.response.status}`
  const description = typeof json?.error_description === 'string' ? json.error_description : undefined
  const check: CheckId = e.role === 'client' ? 'client-error' : 'authorization-error'
  return { check, said: withDescription(error, description), step: 1 }
}
