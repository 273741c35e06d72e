// DPoP (RFC 9449), one "Next" per request: the authorization request in the
// learner's browser (step 1), the token request with a proof (step 2), the
// nonce retry when the server asks for one (step 3), the bound token (step 4),
// the resource call with `Authorization: DPoP` and `ath` (step 5), a refresh
// with a proof (step 6). The key pair is made for the walk and kept in the
// walk's data, server-side.

import { randomSecret } from '../../../shared/random.js'
import { decodeJwtParts } from '../../flow/decode.js'
import { buildAuthorizeUrl, createPkce, redirectUriOf } from '../../oauth-client.js'
import { authorizationProblem } from '../front-channel.js'
import { clientBasic, errorLine, postForm, send, type WalkAnswer, refused } from '../walk-http.js'
import type { WalkOutcome, WalkRunContext, WalkScript } from '../walk.js'
import { dpopProof, jwkThumbprintSync, newDpopKey, publicJwkOf } from './key.js'

type Data = Readonly<Record<string, string>>

/** The nonce a server handed out (RFC 9449 §8: DPoP-Nonce), kept for the next proof to that server. */
function nonceOf(answer: WalkAnswer): string | undefined {
  return answer.headers.get('dpop-nonce') ?? undefined
}

/** RFC 9449 §8 (token endpoint: 400 JSON) and §9 (resource: 401 with the DPoP challenge). */
function asksForNonce(answer: WalkAnswer): boolean {
  const challenge = answer.headers.get('www-authenticate') ?? ''
  return nonceOf(answer) !== undefined && (answer.json?.error === 'use_dpop_nonce' || /use_dpop_nonce/.test(challenge))
}

const tokenUrl = (ctx: WalkRunContext) => `${ctx.config.auth.internalUrl}/token`
/** RFC 9449 §4.3 point 9: htu names the URL the server knows itself by (its public URL). */
const tokenHtu = (ctx: WalkRunContext) => `${ctx.config.auth.publicUrl}/token`
const resourceHtu = (ctx: WalkRunContext) => `${ctx.config.resource.publicUrl}/resource`

/** The token request of step 2 or 3: the code, with a proof (nonce when the server gave one). */
function tokenRequest(ctx: WalkRunContext, form: Data, nonce?: string): Promise<WalkAnswer> {
  const key = ctx.data.key ?? ''
  const proof = dpopProof(key, { htm: 'POST', htu: tokenHtu(ctx), ...(nonce === undefined ? {} : { nonce }) })
  return postForm(ctx, tokenUrl(ctx), form, { ...clientBasic(ctx), dpop: proof })
}

function codeForm(ctx: WalkRunContext): Data {
  return {
    grant_type: 'authorization_code',
    code: ctx.data.code ?? '',
    redirect_uri: redirectUriOf(ctx.config),
    code_verifier: ctx.data.codeVerifier ?? '',
  }
}

/** Step 4: the bound token, its cnf.jkt beside the thumbprint of the walk's key (RFC 9449 §6.1, RFC 7638). */
function tokenIssued(ctx: WalkRunContext, answer: WalkAnswer, step: 4 | 6, skip: number, done: boolean): WalkOutcome {
  const token = answer.json?.access_token
  if (answer.status !== 200 || typeof token !== 'string')
    return refused(step, 'The token endpoint refused', [errorLine(answer)])
  const jkt = jwkThumbprintSync(publicJwkOf(ctx.data.key ?? ''))
  const cnf = decodeJwtParts(token)?.claims.cnf
  const bound = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined
  const matches = bound !== undefined && bound === jkt
  const refresh = answer.json?.refresh_token
  const nonce = nonceOf(answer)
  return {
    kind: 'shown',
    skip,
    done,
    data: {
      accessToken: token,
      ...(typeof refresh === 'string' ? { refreshToken: refresh } : {}),
      ...(nonce === undefined ? {} : { authNonce: nonce }),
    },
    result: {
      step,
      title: step === 4 ? 'A DPoP-bound access token' : 'A new token, bound to the same key',
      ok: answer.json?.token_type === 'DPoP' && matches,
      lines: [
        `200: token_type ${String(answer.json?.token_type)}, expires_in ${String(answer.json?.expires_in)} s, scope "${String(answer.json?.scope)}"`,
        `cnf.jkt in the token:     ${String(bound)}`,
        `thumbprint of our key:    ${String(jkt)}`,
        matches
          ? '\u2713 The token is bound to the walk\u2019s key (RFC 9449 §6.1, RFC 7638).'
          : '\u2717 The token is not bound to the walk\u2019s key.',
        typeof refresh === 'string' ? 'A refresh_token too.' : 'No refresh_token.',
        ...(skip > 0 ? ['No nonce was asked (the lab runs without DPOP_NONCE): step 3 did not happen.'] : []),
      ],
    },
  }
}

export const dpopScript: WalkScript = {
  name: 'dpop',
  stops: [
    {
      step: 1,
      action: 'Send your browser to the authorization server',
      async run(ctx) {
        // RFC 9449 §4.1: the client makes its key pair; it never leaves this server.
        const pkce = createPkce()
        const state = randomSecret()
        const key = newDpopKey()
        // RFC 9449 §10: dpop_jkt binds the code itself to the key: only a proof of it redeems the code.
        const location = new URL(buildAuthorizeUrl(ctx.config, { state, codeChallenge: pkce.codeChallenge }))
        const jkt = jwkThumbprintSync(publicJwkOf(key))
        if (jkt !== undefined) location.searchParams.set('dpop_jkt', jkt)
        return {
          kind: 'redirect',
          location: location.href,
          state,
          data: { key, codeVerifier: pkce.codeVerifier },
        }
      },
    },
    {
      step: 2,
      action: 'Send the token request with a DPoP proof',
      async run(ctx) {
        const answer = await tokenRequest(ctx, codeForm(ctx))
        const nonce = nonceOf(answer)
        if (answer.status === 400 && asksForNonce(answer) && nonce !== undefined)
          return {
            kind: 'shown',
            data: { authNonce: nonce },
            result: {
              step: 3,
              title: 'The server asks for its nonce first (use_dpop_nonce)',
              ok: true,
              lines: [
                `400 use_dpop_nonce, DPoP-Nonce: ${nonce}`,
                'Expected with DPOP_NONCE on: the client retries with a new proof that carries this nonce (RFC 9449 §8).',
              ],
            },
          }
        // No nonce asked: the token came at once, and the retry is passed over.
        return tokenIssued(ctx, answer, 4, 1, false)
      },
    },
    {
      step: 3,
      action: 'Retry the token request with the server\u2019s nonce',
      async run(ctx) {
        return tokenIssued(ctx, await tokenRequest(ctx, codeForm(ctx), ctx.data.authNonce), 4, 0, false)
      },
    },
    {
      step: 5,
      action: 'Call the resource with Authorization: DPoP and a proof with ath',
      async run(ctx) {
        const token = ctx.data.accessToken ?? ''
        const call = (nonce?: string) =>
          send(ctx, `${ctx.config.resource.internalUrl}/resource`, {
            headers: {
              authorization: `DPoP ${token}`,
              dpop: dpopProof(ctx.data.key ?? '', {
                htm: 'GET',
                htu: resourceHtu(ctx),
                accessToken: token,
                ...(nonce === undefined ? {} : { nonce }),
              }),
              accept: 'application/json',
            },
          })
        const first = await call(ctx.data.resourceNonce)
        // RFC 9449 §9: the resource server's own nonce; one retry with it.
        const retried = first.status === 401 && asksForNonce(first)
        const answer = retried ? await call(nonceOf(first)) : first
        const lines = retried
          ? [`401 use_dpop_nonce, DPoP-Nonce: ${String(nonceOf(first))}: retried with a new proof carrying it.`]
          : []
        const nonce = nonceOf(answer)
        if (answer.status !== 200)
          return refused(5, 'The resource server refused', [
            ...lines,
            `${answer.status}: ${answer.headers.get('www-authenticate') ?? answer.text}`,
          ])
        return {
          kind: 'shown',
          data: nonce === undefined ? {} : { resourceNonce: nonce },
          result: {
            step: 5,
            title: 'The resource server answered',
            ok: true,
            lines: [...lines, `200: ${answer.text}`],
          },
        }
      },
    },
    {
      step: 6,
      action: 'Refresh the token with a new proof',
      async run(ctx) {
        const refreshToken = ctx.data.refreshToken
        if (refreshToken === undefined)
          return refused(6, 'No refresh token to use', ['The token response of step 4 carried no refresh_token.'])
        const form = { grant_type: 'refresh_token', refresh_token: refreshToken }
        const first = await tokenRequest(ctx, form, ctx.data.authNonce)
        // A nonce may have rotated since step 3 (RFC 9449 §8): one retry with the new one.
        const answer =
          first.status === 400 && asksForNonce(first) ? await tokenRequest(ctx, form, nonceOf(first)) : first
        return tokenIssued(ctx, answer, 6, 0, true)
      },
    },
  ],
  async callback(ctx, query) {
    // RFC 9207 §2.4, RFC 6749 §4.1.2: iss, then an error or the code (front-channel.ts).
    const problem = authorizationProblem(ctx, query)
    if (problem !== undefined || query.code === undefined) return refused(1, 'No code to redeem', [problem ?? ''])
    const jkt = jwkThumbprintSync(publicJwkOf(ctx.data.key ?? ''))
    return {
      kind: 'shown',
      data: { code: query.code },
      result: {
        step: 1,
        title: 'Back with a code',
        ok: true,
        lines: [
          'The state is the one this walk sent; iss is the authorization server (RFC 9207).',
          `The walk\u2019s key pair is ready: ES256, thumbprint ${String(jkt)} (RFC 7638).`,
        ],
      },
    }
  },
}
