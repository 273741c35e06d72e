// Step 7: Resource server asks the authorization server whether the token is active (RFC 7662 §2)

import { basicAuthorization } from '../shared/basic-auth.js'
import type { LabConfig } from '../shared/config.js'
import { dpopConfirmation, type DpopConfirmation } from '../shared/dpop/cnf.js'
import { CLOCK_TOLERANCE_SECONDS, TIMEOUT_MS, TokenCheckUnavailable, TokenRejected } from './check-token.js'
import type { AccessTokenClaims, CheckToken, TokenCheckDeps } from './check-token.js'

/** The authorization server has no introspection endpoint (404). */
export class IntrospectionNotOffered extends TokenCheckUnavailable {
  override name = 'IntrospectionNotOffered'
}

// RFC 9449 §6.2: a DPoP-bound access token is introspected as token_type DPoP.
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'access_token', 'urn:ietf:params:oauth:token-type:access_token'])

/** Checks each token with `POST {auth.internalUrl}/introspect`, so revocation is immediate. */
export function introspectionChecker(config: LabConfig, deps: TokenCheckDeps = {}): CheckToken {
  const endpoint = `${config.auth.internalUrl}/introspect`
  const { introspectionClientId, introspectionClientSecret } = config.resource
  const authorization = basicAuthorization(introspectionClientId, introspectionClientSecret)
  const fetchImpl = deps.fetch ?? fetch
  return async (token) => {
    const answer = await introspect(fetchImpl, endpoint, authorization, token)
    return claimsFromIntrospection(answer, config, deps.now?.() ?? new Date())
  }
}

async function introspect(
  fetchImpl: typeof fetch,
  endpoint: string,
  authorization: string,
  token: string,
): Promise<Record<string, unknown>> {
  let response: Response
  try {
    // RFC 7662 §2.1: a form POST, authenticated as the resource server.
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { authorization, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (cause) {
    throw new TokenCheckUnavailable('cannot check the token: the authorization server is unreachable', { cause })
  }
  if (response.status === 404)
    throw new IntrospectionNotOffered('cannot check the token: the authorization server has no introspection endpoint')
  const body: unknown = response.status === 200 ? await response.json().catch(() => undefined) : undefined
  if (typeof body !== 'object' || body === null || typeof (body as { active?: unknown }).active !== 'boolean') {
    throw new TokenCheckUnavailable(
      `cannot check the token: the introspection endpoint answered ${response.status} without a valid response`,
    )
  }
  return body as Record<string, unknown>
}

function claimsFromIntrospection(answer: Record<string, unknown>, config: LabConfig, now: Date): AccessTokenClaims {
  // RFC 7662 §2.2: inactive covers expired, revoked and unknown alike.
  if (answer.active !== true) throw new TokenRejected('the access token is not active (expired, revoked or unknown)')
  const { sub, client_id: clientId, scope = '', exp, iat, jti, iss, aud, token_type: tokenType } = answer
  // The AS searches every token type (RFC 7662 §2.1), so a refresh token could come back active.
  if (tokenType !== undefined && (typeof tokenType !== 'string' || !ACCESS_TOKEN_TYPES.has(tokenType.toLowerCase()))) {
    throw new TokenRejected('the token is not an access token (token_type)')
  }
  if (iss !== undefined && iss !== config.auth.publicUrl) {
    throw new TokenRejected(`the access token was not issued by ${config.auth.publicUrl} (iss)`)
  }
  // aud: compared with the route's identifier by verifyToken (checkAudience); here only its shape.
  if (aud !== undefined && typeof aud !== 'string' && !Array.isArray(aud)) {
    throw new TokenRejected('the access token has an invalid aud claim')
  }
  if (typeof exp === 'number' && exp <= now.getTime() / 1000 - CLOCK_TOLERANCE_SECONDS) {
    throw new TokenRejected('the access token has expired (exp)')
  }
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof scope !== 'string') {
    throw new TokenRejected('the introspection response lacks sub, client_id or a string scope')
  }
  return {
    sub,
    client_id: clientId,
    scope,
    exp: typeof exp === 'number' ? exp : undefined,
    iat: typeof iat === 'number' ? iat : undefined,
    jti: typeof jti === 'string' ? jti : undefined,
    iss: typeof iss === 'string' ? iss : undefined,
    aud: typeof aud === 'string' || Array.isArray(aud) ? (aud as string | string[]) : undefined,
    ...dpopBindingOf(answer.cnf),
  }
}

/** RFC 9449 §6.2: the key a DPoP-bound token is bound to, as introspection reports it. */
function dpopBindingOf(value: unknown): { readonly cnf?: DpopConfirmation } {
  const cnf = dpopConfirmation(value)
  return cnf ? { cnf } : {}
}
