// Break it with DPoP (RFC 9449): alice's client gets a token bound to its key;
// an attacker who stole the token (and sometimes a proof) tries to use it at
// the resource server. Each is refused with 401 and the DPoP challenge.

import { buildTokenRequest } from '../oauth-client.js'
import { dpopProof, newDpopKey, type ProofRequest } from '../walks/dpop/key.js'
import type { Agent, AgentResponse } from './agent.js'
import { accessTokenOf, type Attack, type AttackContext } from './attack.js'
import { authorizationCode } from './play-authorization.js'

const resourceHtu = (ctx: AttackContext) => `${ctx.config.resource.publicUrl}/resource`

/** RFC 9449 §8 / §9: the server asked for its nonce (400 at the token endpoint, 401 at the resource). */
function nonceAsked(response: AgentResponse): string | undefined {
  const nonce = response.headers.get('dpop-nonce')
  const asked = /use_dpop_nonce/.test(`${response.headers.get('www-authenticate') ?? ''} ${response.body}`)
  return asked && nonce !== null ? nonce : undefined
}

/** Sends with a fresh proof; once more with the server's nonce if it asks for one (RFC 9449 §8, §9). */
async function withNonce(
  send: (proof: string, retry?: string) => Promise<AgentResponse>,
  key: string,
  proof: Omit<ProofRequest, 'nonce'>,
): Promise<AgentResponse> {
  const first = await send(dpopProof(key, proof))
  const nonce = nonceAsked(first)
  return nonce === undefined
    ? first
    : send(dpopProof(key, { ...proof, nonce }), ' (again, with the server\u2019s nonce)')
}

/** Alice's client: steps 1-5 with a DPoP proof, a token bound to its key (RFC 9449 §5). */
async function boundToken(ctx: AttackContext, key: string): Promise<string> {
  const request = buildTokenRequest(ctx.config, await authorizationCode(ctx))
  const answer = await withNonce(
    (proof, retry = '') =>
      ctx.agent.backChannel(`Step 5: redeem the code with a DPoP proof${retry}`, {
        ...request,
        headers: { ...request.headers, DPoP: proof },
      }),
    key,
    { htm: 'POST', htu: `${ctx.config.auth.publicUrl}/token` },
  )
  return accessTokenOf(answer, 'Redeeming the code with a DPoP proof')
}

/** GET /resource with `Authorization: DPoP` and the given proof. */
function dpopCall(agent: Agent, ctx: AttackContext, label: string, token: string, proof: string) {
  return agent.backChannel(label, {
    method: 'GET',
    url: `${ctx.config.resource.internalUrl}/resource`,
    headers: { Authorization: `DPoP ${token}`, DPoP: proof, Accept: 'application/json' },
  })
}

export const dpopTokenAsBearer: Attack = {
  name: 'dpop-token-as-bearer',
  title: 'DPoP token replayed as Bearer',
  tried:
    'Alice\u2019s client gets a DPoP-bound token; an attacker who stole it sends it as Authorization: Bearer, with no proof.',
  why: 'The token carries cnf.jkt: it is bound to the key of the client that asked for it. The resource server accepts a bound token only as Authorization: DPoP with a proof of that key, so sent as Bearer it answers 401 invalid_token with a DPoP challenge (RFC 9449 section 7.1, 7.2).',
  answeredBy: 'resource server',
  async run(ctx) {
    const token = await boundToken(ctx, newDpopKey())
    return ctx.newAgent('Attacker').backChannel('Attack: the stolen token as a Bearer token', {
      method: 'GET',
      url: `${ctx.config.resource.internalUrl}/resource`,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    })
  },
}

export const dpopReplayedProof: Attack = {
  name: 'dpop-replayed-proof',
  title: 'Replayed DPoP proof',
  tried:
    'Alice\u2019s client calls the resource with its token and a proof; an attacker who captured that request sends it again, the same proof (same jti) with it.',
  why: 'A proof is good for one request: the resource server remembers the jti of each proof it accepted while the proof is fresh, and refuses it the second time with 401 invalid_dpop_proof (RFC 9449 section 11.1, 4.3).',
  answeredBy: 'resource server',
  async run(ctx) {
    const key = newDpopKey()
    const token = await boundToken(ctx, key)
    let sent = ''
    const first = await withNonce(
      (proof, retry = '') => {
        sent = proof
        return dpopCall(ctx.agent, ctx, `Step 7: the resource call with a DPoP proof${retry}`, token, proof)
      },
      key,
      { htm: 'GET', htu: resourceHtu(ctx), accessToken: token },
    )
    if (first.status !== 200) return first
    return dpopCall(ctx.newAgent('Attacker'), ctx, 'Attack: the captured request, same proof', token, sent)
  },
}

export const dpopProofForOtherUrl: Attack = {
  name: 'dpop-proof-for-other-url',
  title: 'DPoP proof for another URL',
  tried:
    'A proof signed with the right key, for the right token, but made for another URL (htu: the authorization server\u2019s /userinfo) is sent with a call to the resource.',
  why: 'A proof names the one request it is for: its method (htm) and URL (htu). The resource server refuses a proof made for any other, with 401 invalid_dpop_proof (RFC 9449 section 4.3), so a proof captured from one request opens nothing else.',
  answeredBy: 'resource server',
  async run(ctx) {
    const key = newDpopKey()
    const token = await boundToken(ctx, key)
    const elsewhere = `${ctx.config.auth.publicUrl}/userinfo`
    const answer = await withNonce(
      (proof, retry = '') => dpopCall(ctx.agent, ctx, `Attack: a proof whose htu is another URL${retry}`, token, proof),
      key,
      { htm: 'GET', htu: elsewhere, accessToken: token },
    )
    const otherMethod = await withNonce(
      (proof, retry = '') => dpopCall(ctx.agent, ctx, `Then: a proof whose htm is POST${retry}`, token, proof),
      key,
      { htm: 'POST', htu: resourceHtu(ctx), accessToken: token },
    )
    return {
      answer,
      aftermath: {
        title: 'The same call with a proof for the right URL but another method (htm POST)',
        response: otherMethod,
        lesson:
          'Refused too (401 invalid_dpop_proof): htm must be the method of the request, GET here (RFC 9449 section 4.3).',
      },
    }
  },
}

export const dpopOtherKey: Attack = {
  name: 'dpop-other-key',
  title: 'DPoP token with another key\u2019s proof',
  tried:
    'An attacker who stole alice\u2019s DPoP-bound token makes a proof of its own, right method, URL and ath, signed with the attacker\u2019s key.',
  why: 'The proof is well made, but the token\u2019s cnf.jkt is the thumbprint of alice\u2019s client\u2019s key, not the attacker\u2019s. The resource server compares them and refuses with 401 invalid_dpop_proof (RFC 9449 section 4.3 point 12, 6.1, 7.1): without the private key, the token is useless.',
  answeredBy: 'resource server',
  async run(ctx) {
    const token = await boundToken(ctx, newDpopKey())
    const attacker = ctx.newAgent('Attacker')
    return withNonce(
      (proof, retry = '') =>
        dpopCall(
          attacker,
          ctx,
          `Attack: the stolen token with a proof of the attacker\u2019s key${retry}`,
          token,
          proof,
        ),
      newDpopKey(),
      { htm: 'GET', htu: resourceHtu(ctx), accessToken: token },
    )
  },
}
