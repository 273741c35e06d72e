// DPoP (RFC 9449): the authorization-code flow of a client that binds its
// tokens to a key pair of its own, so that a stolen token is useless without
// the private key. Each request to a server carries a fresh proof.

import { decodeJwtParts } from '../../flow/decode.js'
import { formOf, pathOf, requestHeader, responseHeader, responseJson } from '../../flow/http.js'
import { AUTHORIZE_PATHS, isTokenRequest } from '../../flow/index-exchanges.js'
import type { FlowEntry, RecordedExchange, StepNumber } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition, WalkPlacement } from '../walk.js'
import { sha256Base64url } from '../../../shared/sha256.js'
import { jwkThumbprintSync } from './key.js'

export const dpopWalk: WalkDefinition = {
  name: 'dpop',
  title: 'DPoP: sender-constrained tokens',
  summary:
    'A client that binds its tokens to a key pair it made itself. Each request to the token endpoint or the resource ' +
    'server carries a DPoP proof: a small JWT signed with the private key, naming that one request. The token is ' +
    'bound to the public key\u2019s thumbprint, so whoever steals it cannot use it without the private key.',
  rfc: 'RFC 9449 (DPoP), RFC 7638 (JWK thumbprint)',
  steps: [
    {
      n: 1,
      title: 'You authorize the client in your browser',
      what:
        'The client sends your browser to the authorization server, as in the seven steps: you sign in and consent, ' +
        'and the browser comes back with a code. Before it, the client made an ES256 key pair for this walk; the ' +
        'private key stays on the client app\u2019s server. The request names the key with dpop_jkt, its RFC 7638 ' +
        'thumbprint (RFC 9449 §10): the code is bound to it, so a stolen code is useless without the private key.',
      rfc: 'RFC 6749 §4.1.1, RFC 7636; RFC 9449 §4.1 (the key pair), §10 (dpop_jkt)',
      look: 'GET /authorize (state, code_challenge, dpop_jkt), the sign-in and consent pages, and the redirect back with code.',
    },
    {
      n: 2,
      title: 'The client asks for a token with a DPoP proof',
      what:
        'The token request carries a DPoP header: a JWT with typ dpop+jwt, the public key in its header (jwk), and ' +
        'claims for this request only: htm (the method), htu (the URL), iat and a unique jti. It is signed with the ' +
        'private key.',
      rfc: 'RFC 9449 §4.2 (the proof), §5 (at the token endpoint)',
      look: 'The DPoP request header, decoded: typ, alg, jwk; htm POST, htu …/token, jti, iat.',
    },
    {
      n: 3,
      title: 'The server asks for its nonce (when DPOP_NONCE is on)',
      what:
        'A server may require proofs to carry a nonce it chose, so that a proof cannot be made ahead of time. It ' +
        'answers the first try with 400 use_dpop_nonce and a DPoP-Nonce header; the client signs a new proof with ' +
        'that nonce and sends the request again. Without DPOP_NONCE this step does not happen.',
      rfc: 'RFC 9449 §8 (authorization server nonce), §9 (resource server nonce)',
      look: 'The 400 answer: error use_dpop_nonce and the DPoP-Nonce header; then the retried proof\u2019s nonce claim.',
    },
    {
      n: 4,
      title: 'The server issues a DPoP-bound token',
      what:
        'The answer says token_type DPoP. The access token carries cnf.jkt: the SHA-256 thumbprint of the proof\u2019s ' +
        'public key. The resource server will accept the token only with a proof signed by that key.',
      rfc: 'RFC 9449 §5 (token response), §6.1 (cnf.jkt); RFC 7638 (thumbprint)',
      look: 'token_type DPoP, and in the decoded access token: cnf.jkt (compare with the key\u2019s thumbprint below).',
    },
    {
      n: 5,
      title: 'The client calls the resource with Authorization: DPoP',
      what:
        'The token goes as Authorization: DPoP <token>, not Bearer, with a new proof for GET /resource that also ' +
        'carries ath, the hash of the access token. The resource server checks the token, then the proof: its ' +
        'signature, htm, htu, ath, that its key is the token\u2019s cnf.jkt, and that its jti is new.',
      rfc: 'RFC 9449 §7 (protected resource access), §4.3 (checking a proof)',
      look: 'Authorization: DPoP, and the proof\u2019s htm GET, htu …/resource, ath.',
    },
    {
      n: 6,
      title: 'The client refreshes the token with a new proof',
      what:
        'A refresh is a token request too: it carries a proof, and the new access token is bound to the key again. ' +
        'For a public client the refresh token itself is bound to the key; this client is confidential, so its ' +
        'secret protects the refresh token.',
      rfc: 'RFC 9449 §5 (refresh token binding), §5.8',
      look: 'grant_type=refresh_token with a DPoP proof; token_type DPoP and the same cnf.jkt.',
    },
  ],
  place,
  checks: dpopChecks,
  expected: isNonceChallenge,
  attacks: ['dpop-token-as-bearer', 'dpop-replayed-proof', 'dpop-proof-for-other-url', 'dpop-other-key'],
}

/** The decoded claims and header of a request's DPoP proof. */
function proofOf(
  e: RecordedExchange,
): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const proof = requestHeader(e, 'dpop')
  return proof === undefined ? undefined : decodeJwtParts(proof)
}

/** RFC 9449 §8 / §9: a nonce challenge is part of the flow, not a refusal. */
function isNonceChallenge(e: RecordedExchange): boolean {
  if (responseHeader(e, 'dpop-nonce') === undefined) return false
  if (isTokenRequest(e)) return e.response.status === 400 && responseJson(e)?.error === 'use_dpop_nonce'
  return e.response.status === 401 && /use_dpop_nonce/.test(responseHeader(e, 'www-authenticate') ?? '')
}

const fromClient = (request: StepNumber, response: StepNumber, to: WalkPlacement['to']): WalkPlacement => ({
  request,
  response,
  from: 'client',
  to,
})

function place(e: RecordedExchange): WalkPlacement | undefined {
  if (isTokenRequest(e)) {
    if (formOf(e).get('grant_type') === 'refresh_token') return fromClient(6, 6, 'auth-server')
    if (isNonceChallenge(e)) return fromClient(2, 3, 'auth-server')
    // The retry carries the nonce the server asked for (step 3); the first try has none.
    return proofOf(e)?.claims.nonce === undefined ? fromClient(2, 4, 'auth-server') : fromClient(3, 4, 'auth-server')
  }
  if (e.role === 'resource-server') return fromClient(5, 5, 'resource-server')
  if (e.role === 'auth-server' && (pathOf(e) === '/jwks' || pathOf(e) === '/introspect'))
    return { request: 5, response: 5, from: 'resource-server', to: 'auth-server' }
  if (
    e.role === 'auth-server' &&
    (AUTHORIZE_PATHS.has(pathOf(e)) || pathOf(e) === '/login' || pathOf(e) === '/consent')
  )
    return { request: 1, response: 1, from: 'browser', to: 'auth-server' }
  return undefined
}

const answered = (entries: readonly FlowEntry[]) =>
  [...new Set(entries.filter((x) => x.part !== 'request').map((x) => x.exchange))].filter(
    (e) => e.response.status < 400,
  )

function dpopChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const checks: WalkCheck[] = []
  for (const e of answered(entries)) {
    if (isTokenRequest(e)) checks.push(...tokenChecks(e))
    else if (e.role === 'resource-server' && pathOf(e) === '/resource') checks.push(...resourceChecks(e))
  }
  return checks
}

/** RFC 9449 §4.3 points 8-9: the proof names this request's method and URL (htu: scheme, host and path). */
function requestCheck(e: RecordedExchange, step: StepNumber): WalkCheck | undefined {
  const proof = proofOf(e)
  if (proof === undefined) return undefined
  const { htm, htu } = proof.claims
  let path: string | undefined
  try {
    path = typeof htu === 'string' ? new URL(htu).pathname : undefined
  } catch {
    path = undefined
  }
  const ok = htm === e.request.method && path === pathOf(e)
  return {
    step,
    ok,
    text: ok
      ? `htm ${String(htm)} and htu ${String(htu)} name this very request (RFC 9449 §4.3).`
      : `The proof names ${String(htm)} ${String(htu)}, not this request (${e.request.method} ${pathOf(e)}).`,
  }
}

/** The thumbprint of the proof's key and the token's cnf.jkt (RFC 9449 §6.1, RFC 7638). */
function bindingCheck(proofKey: unknown, token: string, step: StepNumber): WalkCheck | undefined {
  const jwk = typeof proofKey === 'object' && proofKey !== null ? (proofKey as Record<string, unknown>) : undefined
  const jkt = jwk === undefined ? undefined : jwkThumbprintSync(jwk)
  const cnf = decodeJwtParts(token)?.claims.cnf
  const bound = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined
  if (jkt === undefined && bound === undefined) return undefined
  const ok = jkt !== undefined && bound === jkt
  return {
    step,
    ok,
    text: ok
      ? `jkt: the token\u2019s cnf.jkt is the thumbprint of the proof\u2019s key, ${jkt} (RFC 9449 §6.1, RFC 7638).`
      : `jkt: the token\u2019s cnf.jkt (${String(bound)}) is not the thumbprint of the proof\u2019s key (${String(jkt)}).`,
  }
}

function tokenChecks(e: RecordedExchange): WalkCheck[] {
  const refresh = formOf(e).get('grant_type') === 'refresh_token'
  const json = responseJson(e)
  const token = json?.access_token
  const checks = [requestCheck(e, refresh ? 6 : proofOf(e)?.claims.nonce === undefined ? 2 : 3)]
  if (typeof token === 'string') {
    const step = refresh ? 6 : 4
    checks.push({
      step,
      ok: json?.token_type === 'DPoP',
      text:
        json?.token_type === 'DPoP'
          ? 'token_type is DPoP: the token is bound to a key, not a bearer token (RFC 9449 §5).'
          : `token_type is ${String(json?.token_type)}, not DPoP: the token is not bound.`,
    })
    checks.push(bindingCheck(proofOf(e)?.header.jwk, token, step))
  }
  return checks.filter((c): c is WalkCheck => c !== undefined)
}

function resourceChecks(e: RecordedExchange): WalkCheck[] {
  const token = /^DPoP +(\S+)$/i.exec(requestHeader(e, 'authorization') ?? '')?.[1]
  const proof = proofOf(e)
  if (token === undefined || proof === undefined) return []
  const ath = proof.claims.ath
  const ok = ath === sha256Base64url(token, 'ascii')
  const athCheck: WalkCheck = {
    step: 5,
    ok,
    text: ok
      ? 'ath: the proof carries the SHA-256 hash of the access token it goes with (RFC 9449 §4.2, §7).'
      : 'ath: the proof\u2019s ath is not the hash of this access token.',
  }
  return [requestCheck(e, 5), athCheck, bindingCheck(proof.header.jwk, token, 5)].filter(
    (c): c is WalkCheck => c !== undefined,
  )
}
