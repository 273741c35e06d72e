// Break it at step 5: a real code, then a token request that is wrong in one
// way. Each request is built by buildTokenRequest, the function the client
// itself uses, with one thing changed.

import {
  buildResourceRequest,
  buildTokenRequest,
  createPkce,
  type ClientCredentials,
  type TokenRequestParams,
} from '../oauth-client.js'
import type { AgentResponse } from './agent.js'
import { accessTokenOf, AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { authorizationCode } from './play-authorization.js'

function redeem(
  ctx: AttackContext,
  label: string,
  params: TokenRequestParams,
  credentials?: ClientCredentials,
): Promise<AgentResponse> {
  return ctx.agent.backChannel(label, buildTokenRequest(ctx.config, params, credentials))
}

export const replayedCode: Attack = {
  name: 'replayed-code',
  title: 'Replayed code',
  tried:
    'The client redeems a fresh code once, as in step 5, and gets tokens. Then the same code is sent to the token endpoint a second time, as an attacker who copied it from a log or a browser history would.',
  why: 'An authorization code is good for one use only. The second redemption is refused with invalid_grant and, since a replay means the code leaked, the authorization server revokes every token issued from it (RFC 6749 section 4.1.2 and section 10.5). Revoked there does not mean refused everywhere: see what the resource server does with the first access token below.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    const first = await redeem(ctx, 'Step 5: redeem the code', authorization)
    if (first.status !== 200)
      throw new AttackSetupError(`The first redemption already failed with HTTP ${first.status}.`)
    const answer = await redeem(ctx, 'Attack: redeem the same code again', authorization)
    const accessToken = accessTokenOf(first, 'The first redemption')
    const response = await ctx.agent.backChannel(
      'Afterwards: step 7 with the access token of the first redemption',
      buildResourceRequest(ctx.config, accessToken),
    )
    return {
      answer,
      aftermath: {
        title: 'The first access token at the resource server',
        response,
        lesson: revocationLesson(response.status),
      },
    }
  },
}

/**
 * What the resource server's answer teaches, by what it answered: a JWT
 * checked locally stays good until `exp` (RFC 9068 section 4: the resource
 * server validates it itself; RFC 7009 section 3: revoking a self-contained
 * token is not immediately effective), while introspection asks the
 * authorization server, which knows it is revoked (RFC 7662 section 2.2).
 */
export function revocationLesson(status: number): string {
  if (status === 200) {
    return 'It still opens the resource (HTTP 200). The authorization server revoked the token, but this resource server checks JWT access tokens itself (signature, iss, aud, exp; RFC 9068 section 4) and never asks the authorization server, so it cannot know: a self-contained token stays good until it expires (RFC 7009 section 3). The remedies are short access-token lifetimes, or a resource server that asks with RFC 7662 introspection (RESOURCE_TOKEN_CHECK=introspect), where this token is refused at once.'
  }
  return `It is refused (HTTP ${status}). This resource server asks the authorization server about every token with RFC 7662 introspection (RESOURCE_TOKEN_CHECK=introspect), which answers active: false for a revoked token (RFC 7662 section 2.2), so the revocation takes effect at once. The price: one back-channel request per call. A resource server that checks JWTs itself would still accept this token until it expires (RFC 7009 section 3).`
}

export const redirectUriChanged: Attack = {
  name: 'redirect-uri-changed',
  title: 'redirect_uri changed at the token endpoint',
  tried:
    'A fresh code is redeemed with redirect_uri=https://attacker.example/callback instead of the redirect URI that step 1 sent.',
  why: 'The token request must repeat the redirect_uri of the authorization request exactly, so a code steered to another address cannot be redeemed from there (RFC 6749 section 4.1.3). The code is consumed by the attempt and cannot be retried.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    const changed = { ...authorization, redirectUri: 'https://attacker.example/callback' }
    return redeem(ctx, 'Attack: redeem the code with another redirect_uri', changed)
  },
}

export const wrongClientSecret: Attack = {
  name: 'wrong-client-secret',
  title: 'Wrong client secret',
  tried:
    'A fresh code is redeemed with HTTP Basic credentials that name this client but carry a wrong secret, as someone who stole a code but not the secret would.',
  why: 'A confidential client must authenticate at the token endpoint. A wrong secret gets 401 invalid_client with a WWW-Authenticate challenge for the Basic scheme that was tried (RFC 6749 section 2.3.1 and section 5.2), so a stolen code is worthless without the secret.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    const credentials = { clientId: ctx.config.client.clientId, clientSecret: 'not-the-client-secret' }
    return redeem(ctx, 'Attack: redeem the code with a wrong client secret', authorization, credentials)
  },
}

export const missingPkceVerifier: Attack = {
  name: 'missing-pkce-verifier',
  title: 'Missing PKCE verifier',
  tried: 'A fresh code, requested with a PKCE code_challenge in step 1, is redeemed without any code_verifier.',
  why: 'Step 1 sent a code_challenge, so the code is bound to it: whoever redeems the code must present the code_verifier whose SHA-256 is that challenge (RFC 7636 section 4.5 and section 4.6). An attacker who intercepted only the code does not have it.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    return redeem(ctx, 'Attack: redeem the code without code_verifier', { ...authorization, codeVerifier: undefined })
  },
}

export const wrongPkceVerifier: Attack = {
  name: 'wrong-pkce-verifier',
  title: 'Wrong PKCE verifier',
  tried: 'A fresh code is redeemed with a well-formed code_verifier that is not the one whose challenge step 1 sent.',
  why: 'The authorization server computes BASE64URL(SHA256(code_verifier)) and compares it with the code_challenge of step 1 (RFC 7636 section 4.6). Another verifier gives another hash, so the code is refused.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    const wrong = { ...authorization, codeVerifier: createPkce().codeVerifier }
    return redeem(ctx, 'Attack: redeem the code with another code_verifier', wrong)
  },
}
