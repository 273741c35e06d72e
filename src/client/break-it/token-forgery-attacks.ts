// Break it at step 7: a real access token changed by its holder. A JWT access
// token is signed by the authorization server (RFC 9068 §2.1, RFC 7515), so a
// changed payload no longer matches its signature, and a token that claims to
// need no signature (`alg: none`) is never accepted (RFC 8725 §2.1, §3.1).

import { buildResourceRequest, buildTokenRequest } from '../oauth-client.js'
import type { AgentResponse } from './agent.js'
import { accessTokenOf, AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { authorizationCode } from './play-authorization.js'

/** The scope the resource needs, which the token of the scene was not granted. */
const WIDENED_SCOPE = 'foo bar'

/** A token for alice with scope bar only, as the client gets it in steps 1-6. */
async function barOnlyToken(ctx: AttackContext): Promise<string> {
  const authorization = await authorizationCode(ctx, { scope: 'bar' })
  const response = await ctx.agent.backChannel('Step 5: redeem the code', buildTokenRequest(ctx.config, authorization))
  return accessTokenOf(response, 'Redeeming the code')
}

function callResource(ctx: AttackContext, label: string, accessToken: string): Promise<AgentResponse> {
  return ctx.agent.backChannel(label, buildResourceRequest(ctx.config, accessToken))
}

const encodePart = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** The three parts of a compact JWS (RFC 7515 §7.1), its header and payload decoded. */
function partsOf(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signature: string
} {
  const [header, payload, signature, ...rest] = token.split('.')
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0)
    throw new AttackSetupError('The access token is not a JWT, so there is no payload to change.')
  try {
    return {
      header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
      signature,
    }
  } catch {
    throw new AttackSetupError('The access token is not a JWT, so there is no payload to change.')
  }
}

/** The same token with scope widened to foo bar; header and signature unchanged. */
export function widenScope(token: string): string {
  const { header, payload, signature } = partsOf(token)
  return `${encodePart(header)}.${encodePart({ ...payload, scope: WIDENED_SCOPE })}.${signature}`
}

/** The widened payload re-encoded as an unsecured JWS: `alg: none` and an empty signature (RFC 7515 Appendix A.5). */
export function unsecured(token: string): string {
  const { header, payload } = partsOf(token)
  const none = { alg: 'none', ...(header.typ === undefined ? {} : { typ: header.typ }) }
  return `${encodePart(none)}.${encodePart({ ...payload, scope: WIDENED_SCOPE })}.`
}

export const tamperedJwt: Attack = {
  name: 'tampered-jwt',
  title: 'Tampered JWT (scope widened)',
  tried:
    'Alice authorizes scope=bar only. The holder of her access token decodes its payload, changes scope from bar to foo bar, re-encodes it and keeps the original header and signature, then calls the resource, which needs foo.',
  why: 'A JWT access token is signed by the authorization server over its header and payload together (RFC 9068 section 2.1, RFC 7515 section 5.2). Any change to the payload makes the signature fail to verify with the authorization server’s published key, so the resource server answers 401 invalid_token (RFC 9068 section 4, RFC 6750 section 3.1). Base64url is an encoding, not a protection: anyone can read and rewrite the claims, nobody but the authorization server can sign them. (With RESOURCE_TOKEN_CHECK=introspect the resource server asks the authorization server instead, which has never issued the changed token and answers active: false, RFC 7662 section 2.2: 401 invalid_token all the same.)',
  answeredBy: 'resource server',
  async run(ctx) {
    const genuine = await barOnlyToken(ctx)
    const answer = await callResource(
      ctx,
      'Attack: step 7 with the payload changed to scope foo bar',
      widenScope(genuine),
    )
    const response = await callResource(ctx, 'Afterwards: step 7 with the genuine bar-only token', genuine)
    return {
      answer,
      aftermath: { title: 'The genuine token, unchanged', response, lesson: genuineLesson(response.status) },
    }
  },
}

/** What the genuine bar-only token gets: its signature verifies, its scope does not suffice. */
function genuineLesson(status: number): string {
  if (status === 403) {
    return 'HTTP 403 insufficient_scope: the genuine token passes the signature check, and is refused for what it really grants (bar, not foo; RFC 6750 section 3.1). Changing the claims is the only way to widen them, and the signature check stops exactly that.'
  }
  return `HTTP ${status}: the genuine token was not refused for its scope as expected (403 insufficient_scope, RFC 6750 section 3.1); see the flow inspector for the answer.`
}

export const algNoneJwt: Attack = {
  name: 'alg-none-jwt',
  title: 'JWT with alg none',
  tried:
    'Alice authorizes scope=bar only. Her access token is re-encoded with the header {"alg":"none"}, its scope widened to foo bar, and no signature at all (an unsecured JWS, RFC 7515 Appendix A.5), then sent to the resource.',
  why: 'A verifier that trusted the token’s own alg header would read "none" and skip the signature check. This resource server accepts only the asymmetric algorithms it expects (RFC 9068 section 4) and never "none", so it answers 401 invalid_token (RFC 8725 section 3.1: libraries must let the application choose the algorithms and must not accept "none" unless asked; section 2.1 tells the attacks this prevents). With RESOURCE_TOKEN_CHECK=introspect the authorization server, asked about the token, does not know it (active: false): refused all the same.',
  answeredBy: 'resource server',
  async run(ctx) {
    const genuine = await barOnlyToken(ctx)
    return callResource(ctx, 'Attack: step 7 with an alg none token and no signature', unsecured(genuine))
  },
}
