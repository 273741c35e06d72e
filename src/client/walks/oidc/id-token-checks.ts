// The client's validation of an ID token, OIDC Core §3.1.3.7, one check per
// rule so that the walk can show each as ✓ or ✗: the signature against the
// authorization server's JWKS, iss, aud, exp, iat and the nonce sent in the
// authorization request.

import { compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet } from 'jose'

export interface IdTokenCheck {
  readonly name: 'signature' | 'iss' | 'aud' | 'exp' | 'iat' | 'nonce'
  readonly ok: boolean
  readonly text: string
}

export interface IdTokenExpectations {
  readonly issuer: string
  readonly clientId: string
  readonly nonce: string
  /** Seconds since the epoch. */
  readonly now: number
}

/** The asymmetric algorithms this lab signs ID tokens with; `none` and HMAC are never accepted. */
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA']
/** How far in the future an iat may be (clock skew between the two servers). */
const IAT_SKEW_SECONDS = 60

async function signatureCheck(idToken: string, jwks: JSONWebKeySet): Promise<IdTokenCheck> {
  try {
    const { protectedHeader } = await compactVerify(idToken, createLocalJWKSet(jwks), { algorithms: ALGORITHMS })
    return {
      name: 'signature',
      ok: true,
      text: `signature: ${protectedHeader.alg} with key ${protectedHeader.kid ?? '(no kid)'} of the JWKS (§3.1.3.7 step 6)`,
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : 'not verified'
    return { name: 'signature', ok: false, text: `signature: not verified against the JWKS: ${why} (§3.1.3.7 step 6)` }
  }
}

/** Every check, in the order OIDC Core §3.1.3.7 lists them; a token that does not decode fails them all. */
export async function checkIdToken(
  idToken: string,
  jwks: JSONWebKeySet,
  expected: IdTokenExpectations,
): Promise<readonly IdTokenCheck[]> {
  let claims: ReturnType<typeof decodeJwt>
  try {
    claims = decodeJwt(idToken)
  } catch {
    return [{ name: 'signature', ok: false, text: 'The id_token is not a JWT.' }]
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud]
  const { iss, exp, iat, nonce } = claims
  return [
    await signatureCheck(idToken, jwks),
    {
      name: 'iss',
      ok: iss === expected.issuer,
      text: `iss: ${String(iss)} ${iss === expected.issuer ? 'is' : 'is not'} the issuer (§3.1.3.7 step 2)`,
    },
    {
      name: 'aud',
      ok: audiences.includes(expected.clientId),
      text: `aud: ${audiences.join(' ') || '(none)'} ${audiences.includes(expected.clientId) ? 'contains' : 'does not contain'} this client_id ${expected.clientId} (§3.1.3.7 step 3)`,
    },
    {
      name: 'exp',
      ok: typeof exp === 'number' && exp > expected.now,
      text: `exp: ${typeof exp === 'number' ? `expires in ${exp - expected.now} s` : 'missing'} (§3.1.3.7 step 9)`,
    },
    {
      name: 'iat',
      ok: typeof iat === 'number' && iat <= expected.now + IAT_SKEW_SECONDS,
      text: `iat: ${typeof iat === 'number' ? `issued ${expected.now - iat} s ago` : 'missing'} (§3.1.3.7 step 10)`,
    },
    {
      name: 'nonce',
      ok: nonce === expected.nonce,
      text:
        nonce === expected.nonce
          ? 'nonce: the one this client sent in step 1 (§3.1.3.7 step 11)'
          : `nonce: ${String(nonce)} is not the one this client sent in step 1: a replayed ID token is refused (§3.1.3.7 step 11)`,
    },
  ]
}
