// Form POSTs to the authorization server's back-channel endpoints (/token,
// /introspect, /revoke) over inject(), and the token lifecycle's usual steps.

import { expect } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { LabConfig } from '../../src/shared/config.js'
import { basic, obtainCode, pkcePair } from './auth-server.js'

export const CLIENT_BASIC = basic('oauth-client-1', 'oauth-client-secret-1')
export const RESOURCE_BASIC = basic('oauth-resource-1', 'oauth-resource-secret-1')
export const PUBLIC_CLIENT = 'oauth-client-public'

/** A client's credentials: an Authorization header, body parameters, or both. */
export interface Caller {
  readonly headers?: Record<string, string>
  readonly form?: Record<string, string>
}

export const confidential: Caller = { headers: { authorization: CLIENT_BASIC } }
export const resourceServer: Caller = { headers: { authorization: RESOURCE_BASIC } }
export const publicClient: Caller = { form: { client_id: PUBLIC_CLIENT } }

export function postForm(
  app: FastifyInstance,
  url: string,
  form: Record<string, string>,
  caller: Caller = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...caller.headers },
    payload: new URLSearchParams({ ...caller.form, ...form }).toString(),
  })
}

export interface TokenBody {
  readonly access_token: string
  readonly token_type: string
  readonly expires_in: number
  readonly scope: string
  readonly refresh_token?: string
}

/** Steps 1-6 for `clientId` (PKCE always): the 200 token response, plus the code and verifier used. */
export async function tokensFor(
  app: FastifyInstance,
  config: LabConfig,
  opts: { clientId?: string; scope?: string; username?: string } = {},
): Promise<TokenBody & { readonly code: string; readonly verifier: string }> {
  const clientId = opts.clientId ?? 'oauth-client-1'
  const pkce = pkcePair()
  const { params } = await obtainCode(app, config, {
    username: opts.username,
    query: {
      client_id: clientId,
      scope: opts.scope ?? 'foo bar',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    },
  })
  const code = params.get('code')
  if (!code) throw new Error(`no code: ${params.toString()}`)
  const caller = clientId === PUBLIC_CLIENT ? publicClient : confidential
  const res = await redeemCode(app, config, code, pkce.verifier, caller)
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`)
  return { ...res.json<TokenBody>(), code, verifier: pkce.verifier }
}

/** Step 5: redeems `code` at /token; `extra` adds or overrides form parameters. */
export function redeemCode(
  app: FastifyInstance,
  config: LabConfig,
  code: string,
  verifier: string,
  caller: Caller = confidential,
  extra: Record<string, string> = {},
) {
  const redirectUri = `${config.client.publicUrl}/authenticated`
  return postForm(
    app,
    '/token',
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, ...extra },
    caller,
  )
}

export function refresh(
  app: FastifyInstance,
  refreshToken: string,
  extra: Record<string, string> = {},
  caller: Caller = confidential,
) {
  return postForm(app, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, caller)
}

export function introspect(
  app: FastifyInstance,
  token: string,
  extra: Record<string, string> = {},
  caller: Caller = resourceServer,
) {
  return postForm(app, '/introspect', { token, ...extra }, caller)
}

export function revoke(
  app: FastifyInstance,
  token: string,
  extra: Record<string, string> = {},
  caller: Caller = confidential,
) {
  return postForm(app, '/revoke', { token, ...extra }, caller)
}

/** Whether the resource server's introspection call says `active`. */
export async function isActive(app: FastifyInstance, token: string): Promise<boolean> {
  const res = await introspect(app, token)
  expect(res.statusCode).toBe(200)
  return res.json<{ active: boolean }>().active
}

/** RFC 6749 §5.2: status, JSON `error`, and never cached. */
export function expectOAuthError(res: LightMyRequestResponse, status: number, error: string): void {
  expect({ status: res.statusCode, error: safeJson(res)?.error }).toEqual({ status, error })
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  expect(res.headers['cache-control']).toBe('no-store')
  expect(res.headers.pragma).toBe('no-cache')
}

function safeJson(res: LightMyRequestResponse): { error?: string } | undefined {
  try {
    return res.json<{ error?: string }>()
  } catch {
    return undefined
  }
}
