// The client's OAuth calls as plain functions: the step 1 URL, step 5 (token
// request) and step 7 (resource request). The back channel that sends steps 5
// and 7 is passed in (back-channel.ts in the app), so tests can stub it.

import { randomBytes } from 'node:crypto'
import type { LabConfig } from '../shared/config.js'
import { basicAuthorization } from '../shared/basic-auth.js'
import { s256Challenge } from '../shared/sha256.js'
import { CODE_LIFETIME_PARAM } from '../shared/step-through-code.js'

/** Break it's little browser and the flow inspector still use fetch; steps 5 and 7 use a BackChannel. */
export type Fetch = typeof globalThis.fetch

export interface PkcePair {
  readonly codeVerifier: string
  readonly codeChallenge: string
  readonly codeChallengeMethod: 'S256'
}

/** RFC 6749 §5.1 successful token response, as the client keeps it. */
export interface TokenResponse {
  readonly access_token: string
  readonly token_type: string
  /** RECOMMENDED, so it may be absent (RFC 6749 §5.1). */
  readonly expires_in?: number
  /** Absent means "as requested" (RFC 6749 §3.3). */
  readonly scope?: string
  readonly refresh_token?: string
}

export type TokenResult =
  | { readonly ok: true; readonly token: TokenResponse }
  | {
      readonly ok: false
      readonly unreachable: false
      readonly status: number
      readonly error: string
      readonly error_description?: string
    }
  | { readonly ok: false; readonly unreachable: true; readonly reason: string }

export type ResourceResult =
  | {
      readonly reachable: true
      readonly status: number
      readonly wwwAuthenticate?: string
      /** Parsed JSON when the answer is JSON, else the raw text. */
      readonly body: unknown
    }
  | { readonly reachable: false; readonly reason: string }

/** The callback URL this client registered; sent in step 1 and again, identical, in step 5. */
export function redirectUriOf(config: LabConfig): string {
  return `${config.client.publicUrl}/authenticated`
}

/**
 * A fresh PKCE pair per flow. RFC 7636 §4.1/§7.1: 32 random octets,
 * base64url-encoded, give a 43-character verifier with 256 bits of entropy.
 * S256 only: the client MUST use it when able and never downgrade to plain (§4.2, §7.2).
 */
export function createPkce(): PkcePair {
  const codeVerifier = randomBytes(32).toString('base64url')
  return { codeVerifier, codeChallenge: s256Challenge(codeVerifier), codeChallengeMethod: 'S256' }
}

/** Step 1: the authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export function buildAuthorizeUrl(
  config: LabConfig,
  params: {
    readonly state: string
    readonly codeChallenge: string
    readonly codeLifetime?: number
    /** Another client than the app's own (a walk's or an attack's public client). */
    readonly clientId?: string
    /** More parameters, or others in place of the defaults (an OIDC scope and nonce, dpop_jkt). */
    readonly extra?: Readonly<Record<string, string>>
  },
): string {
  const url = new URL(`${config.auth.publicUrl}/authorize`)
  const search = new URLSearchParams({
    response_type: 'code',
    client_id: params.clientId ?? config.client.clientId,
    redirect_uri: redirectUriOf(config),
    scope: config.client.scope,
    state: params.state,
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
    ...params.extra,
  })
  // Step-through mode only: a longer-lived code (shared/step-through-code.ts).
  if (params.codeLifetime !== undefined) search.set(CODE_LIFETIME_PARAM, String(params.codeLifetime))
  url.search = search.toString()
  return url.href
}

/** The front channel of a pushed request (RFC 9126 §4): client_id and request_uri only. */
export function pushedAuthorizeUrl(config: LabConfig, clientId: string, requestUri: string): string {
  const url = new URL(`${config.auth.publicUrl}/authorize`)
  url.search = new URLSearchParams({ client_id: clientId, request_uri: requestUri }).toString()
  return url.href
}

export { basicAuthorization, formUrlEncode } from '../shared/basic-auth.js'

/** A back-channel request as plain data: step-through previews it, and exactly it is sent. */
export interface OutgoingRequest {
  readonly method: 'GET' | 'POST' | 'DELETE'
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
}

/** A back-channel answer: status, headers (lower-case names) and the whole body as text. */
export interface BackChannelAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly body: string
}

/**
 * Sends a built request exactly as built, following no redirect, and rejects on
 * a network failure or timeout; send* below turn a rejection into data.
 */
export type BackChannel = (request: OutgoingRequest) => Promise<BackChannelAnswer>

/** What step 5 sends; `codeVerifier` is optional only so "Break it" can leave it out. */
export interface TokenRequestParams {
  readonly code: string
  readonly codeVerifier?: string
  readonly redirectUri: string
}

export interface ClientCredentials {
  readonly clientId: string
  readonly clientSecret: string
}

/**
 * Step 5 as data: a form POST to the internal token endpoint with HTTP Basic
 * client authentication, as in the book. RFC 6749 §4.1.3: the `redirect_uri`
 * MUST be identical to step 1's; RFC 7636 §4.5: the PKCE verifier.
 */
export function buildTokenRequest(
  config: LabConfig,
  params: TokenRequestParams,
  credentials: ClientCredentials = config.client,
): OutgoingRequest {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    redirect_uri: params.redirectUri,
    code: params.code,
  })
  if (params.codeVerifier !== undefined) body.set('code_verifier', params.codeVerifier)
  return {
    method: 'POST',
    url: `${config.auth.internalUrl}/token`,
    headers: {
      Authorization: basicAuthorization(credentials.clientId, credentials.clientSecret),
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: body.toString(),
  }
}

/** Step 7 as data: the token in the Authorization header (RFC 6750 §2.1). */
export function buildResourceRequest(config: LabConfig, accessToken: string): OutgoingRequest {
  return {
    method: 'GET',
    url: `${config.resource.internalUrl}/resource`,
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
  }
}

/**
 * Step 5: swap the code for a token on the back channel. Never throws: errors
 * come back as data so the callback can show them.
 */
export async function exchangeCode(
  config: LabConfig,
  backChannel: BackChannel,
  params: TokenRequestParams,
): Promise<TokenResult> {
  return sendTokenRequest(backChannel, buildTokenRequest(config, params))
}

/** Sends a built token request and reads the RFC 6749 §5.1/§5.2 answer. */
export async function sendTokenRequest(backChannel: BackChannel, request: OutgoingRequest): Promise<TokenResult> {
  let answer: BackChannelAnswer
  try {
    answer = await backChannel(request)
  } catch (error) {
    return { ok: false, unreachable: true, reason: describeFailure(error) }
  }
  const payload = parseJson(answer.body)
  return answer.status === 200 ? tokenResult(payload) : errorResult(answer.status, payload)
}

function tokenResult(payload: unknown): TokenResult {
  const token = asTokenResponse(payload)
  if (token) return { ok: true, token }
  return {
    ok: false,
    unreachable: false,
    status: 200,
    error: 'invalid_token_response',
    error_description:
      'The token endpoint answered 200 without a usable RFC 6749 §5.1 body (access_token and a Bearer token_type).',
  }
}

function errorResult(status: number, payload: unknown): TokenResult {
  if (isRecord(payload) && typeof payload.error === 'string') {
    const description = typeof payload.error_description === 'string' ? payload.error_description : undefined
    return { ok: false, unreachable: false, status, error: payload.error, error_description: description }
  }
  return {
    ok: false,
    unreachable: false,
    status,
    error: 'unexpected_response',
    error_description: `The token endpoint answered HTTP ${status} without an RFC 6749 §5.2 JSON error.`,
  }
}

function asTokenResponse(payload: unknown): TokenResponse | undefined {
  if (!isRecord(payload)) return undefined
  const { access_token, token_type, expires_in, scope, refresh_token } = payload
  if (typeof access_token !== 'string' || access_token === '') return undefined
  // RFC 6749 §7.1: a client MUST NOT use a token whose type it does not understand.
  if (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer') return undefined
  return {
    access_token,
    token_type,
    ...(typeof expires_in === 'number' ? { expires_in } : {}),
    ...(typeof scope === 'string' ? { scope } : {}),
    ...(typeof refresh_token === 'string' ? { refresh_token } : {}),
  }
}

/** Step 7: call the protected resource with the token (RFC 6750 §2.1). */
export async function callResource(
  config: LabConfig,
  backChannel: BackChannel,
  accessToken: string,
): Promise<ResourceResult> {
  return sendResourceRequest(backChannel, buildResourceRequest(config, accessToken))
}

/** Sends a built resource request; the answer, whatever its status, comes back as data. */
export async function sendResourceRequest(backChannel: BackChannel, request: OutgoingRequest): Promise<ResourceResult> {
  let answer: BackChannelAnswer
  try {
    answer = await backChannel(request)
  } catch (error) {
    return { reachable: false, reason: describeFailure(error) }
  }
  const { status, body } = answer
  return { reachable: true, status, wwwAuthenticate: wwwAuthenticateOf(answer), body: parseJson(body) ?? body }
}

/** RFC 6750 §3: the challenge; repeated header lines are joined as one list (RFC 9110 §5.3). */
function wwwAuthenticateOf(answer: BackChannelAnswer): string | undefined {
  const value = answer.headers['www-authenticate']
  return Array.isArray(value) ? value.join(', ') : value
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A network failure in one line, with its cause (e.g. ECONNREFUSED): fetch puts
 * it in `cause`, undici in the message (connect ECONNREFUSED …) or only in `code` (UND_ERR_SOCKET).
 */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  const text = `${error.message}${cause}`
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text
}
