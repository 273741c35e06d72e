// Token exchange, one "Next" per stop: alice's token (the client app plays the
// browser server-side), API A accepts it, the impersonation exchange, the
// delegation exchange with an actor token, the issued token decoded, API B.
// RFC 8693.

import { decodeJwtParts } from '../../flow/decode.js'
import { createAgent } from '../../break-it/agent.js'
import type { AttackContext } from '../../break-it/attack.js'
import { authorizationCode, toInternal } from '../../break-it/play-authorization.js'
import { MCP_PATH } from '../../../shared/builtin-data.js'
import { errorLine, send, type WalkAnswer, refused, tokenRequest } from '../walk-http.js'
import type { WalkOutcome, WalkRunContext, WalkScript } from '../walk.js'
import { exchangeForm } from './exchange-form.js'

/** API B: the MCP server's resource identifier (RFC 8707), in oauth-client-1's exchange policy. */
export function apiB(ctx: Pick<WalkRunContext, 'config'>): string {
  return `${ctx.config.resource.publicUrl}${MCP_PATH}`
}

function claimsLine(token: string): string {
  const claims = decodeJwtParts(token)?.claims
  if (claims === undefined) return 'An opaque token: its claims are known to the authorization server only.'
  const act = claims.act === undefined ? 'no act' : `act ${JSON.stringify(claims.act)}`
  return `aud ${JSON.stringify(claims.aud)}, sub ${String(claims.sub)}, client_id ${String(claims.client_id)}, ${act}`
}

/**
 * Step 1 in the client app's own small browser (Break it's agent): sign in as
 * alice and allow, then redeem the code. Its requests carry the walk's tag,
 * which the walk's fetch sets on every request.
 */
async function userToken(ctx: WalkRunContext): Promise<WalkOutcome> {
  const agent = createAgent(ctx.fetch, 'walk', [], undefined, { fallback: (href) => toInternal(ctx.config, href) })
  const scene: AttackContext = { config: ctx.config, agent, newAgent: () => agent }
  let code: Awaited<ReturnType<typeof authorizationCode>>
  try {
    code = await authorizationCode(scene)
  } catch (error) {
    return refused(1, 'Alice\u2019s sign-in could not be played', [
      error instanceof Error ? error.message : String(error),
    ])
  }
  const answer = await tokenRequest(ctx, {
    grant_type: 'authorization_code',
    code: code.code,
    redirect_uri: code.redirectUri,
    code_verifier: code.codeVerifier,
  })
  const token = answer.json?.access_token
  if (answer.status !== 200 || typeof token !== 'string')
    return refused(1, 'The token endpoint refused', [errorLine(answer)])
  return {
    kind: 'shown',
    data: { userToken: token },
    result: {
      step: 1,
      title: 'Alice\u2019s access token',
      ok: true,
      lines: [
        'Played server-side: the client app\u2019s own browser signed in as alice and allowed (no page opened in yours).',
        claimsLine(token),
      ],
    },
  }
}

async function apiAReceives(ctx: WalkRunContext): Promise<WalkOutcome> {
  const answer = await send(ctx, `${ctx.config.resource.internalUrl}/resource`, {
    headers: { authorization: `Bearer ${ctx.data.userToken ?? ''}`, accept: 'application/json' },
  })
  if (answer.status !== 200)
    return refused(2, 'API A refused the token', [`${answer.status}: ${answer.headers.get('www-authenticate') ?? ''}`])
  return {
    kind: 'shown',
    result: { step: 2, title: 'API A accepted alice\u2019s token', ok: true, lines: [`200: ${answer.text}`] },
  }
}

function exchanged(answer: WalkAnswer): string | undefined {
  const token = answer.json?.access_token
  return answer.status === 200 && typeof token === 'string' ? token : undefined
}

async function impersonate(ctx: WalkRunContext): Promise<WalkOutcome> {
  // RFC 8693 §2.1: subject_token and its type, the target as resource (RFC 8707).
  const answer = await tokenRequest(ctx, exchangeForm(ctx.data.userToken ?? '', apiB(ctx)))
  const token = exchanged(answer)
  if (token === undefined) return refused(3, 'The exchange was refused', [errorLine(answer)])
  return {
    kind: 'shown',
    data: { impersonationToken: token },
    result: {
      step: 3,
      title: 'A token for API B that stands for alice',
      ok: true,
      lines: [
        `200: issued_token_type ${String(answer.json?.issued_token_type)}, token_type ${String(answer.json?.token_type)} (RFC 8693 §2.2.1)`,
        claimsLine(token),
      ],
    },
  }
}

async function delegate(ctx: WalkRunContext): Promise<WalkOutcome> {
  const own = await tokenRequest(ctx, { grant_type: 'client_credentials', scope: ctx.config.resource.requiredScope })
  const actorToken = exchanged(own)
  if (actorToken === undefined) return refused(4, 'API A could not get a token of its own', [errorLine(own)])
  // RFC 8693 §2.1: actor_token and actor_token_type name who acts for the subject.
  const answer = await tokenRequest(ctx, exchangeForm(ctx.data.userToken ?? '', apiB(ctx), actorToken))
  const token = exchanged(answer)
  if (token === undefined) return refused(4, 'The delegation exchange was refused', [errorLine(answer)])
  return {
    kind: 'shown',
    data: { delegatedToken: token },
    result: {
      step: 4,
      title: 'A token for API B that says who acts for alice',
      ok: true,
      lines: [`Actor token (client credentials): ${claimsLine(actorToken)}`, `200: ${claimsLine(token)}`],
    },
  }
}

async function decode(ctx: WalkRunContext): Promise<WalkOutcome> {
  const user = decodeJwtParts(ctx.data.userToken ?? '')?.claims
  const issued = decodeJwtParts(ctx.data.delegatedToken ?? '')?.claims
  if (user === undefined || issued === undefined)
    return {
      kind: 'shown',
      result: { step: 5, title: 'Opaque tokens', ok: true, lines: ['No claims to decode here.'] },
    }
  const act = issued.act as { sub?: unknown } | undefined
  const ok = JSON.stringify(issued.aud) !== JSON.stringify(user.aud) && issued.sub === user.sub && act !== undefined
  return {
    kind: 'shown',
    result: {
      step: 5,
      title: 'The delegated token, decoded',
      ok,
      lines: [
        `aud: ${JSON.stringify(user.aud)} \u2192 ${JSON.stringify(issued.aud)} (API B)`,
        `sub: ${String(user.sub)} \u2192 ${String(issued.sub)} (the same user)`,
        `act: ${JSON.stringify(issued.act)} (RFC 8693 §4.1: who acts for the subject)`,
      ],
    },
  }
}

async function callApiB(ctx: WalkRunContext): Promise<WalkOutcome> {
  const answer = await send(ctx, apiBUrl(ctx), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ctx.data.delegatedToken ?? ''}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  })
  const ok = answer.status === 200
  return {
    kind: 'shown',
    done: true,
    result: {
      step: 6,
      title: ok ? 'API B answered for alice' : 'API B refused the token',
      ok,
      lines: ok
        ? [`200: ${answer.text.slice(0, 400)}`]
        : [`${answer.status}: ${answer.headers.get('www-authenticate') ?? answer.text}`],
    },
  }
}

/** Where the MCP server answers on this network (its identifier is its public URL). */
function apiBUrl(ctx: WalkRunContext): string {
  return `${ctx.config.resource.internalUrl}${MCP_PATH}`
}

export const tokenExchangeScript: WalkScript = {
  name: 'token-exchange',
  stops: [
    { step: 1, action: 'Get alice\u2019s token (sign-in played server-side)', run: userToken },
    { step: 2, action: 'Send it to API A (GET /resource)', run: apiAReceives },
    { step: 3, action: 'Exchange it for API B (no actor: impersonation)', run: impersonate },
    { step: 4, action: 'Exchange it with an actor token (delegation)', run: delegate },
    { step: 5, action: 'Decode the issued token', run: decode },
    { step: 6, action: 'Call API B (the MCP server) with it', run: callApiB },
  ],
}
