// ID tokens are RS256 by default (OpenID Connect Discovery 1.0 §3), or the
// algorithm the client registered (idTokenSignedResponseAlg, OIDC Dynamic
// Client Registration 1.0 §2's id_token_signed_response_alg), each with its
// own key in /jwks; access tokens keep SIGNING_ALG. at_hash follows the ID
// token's own alg (OIDC Core §3.1.3.6).

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { loadConfig } from '../../../src/shared/config.js'
import { basic, obtainCode, pkcePair, testClock } from '../../helpers/auth-server.js'
import { introspect, redeemCode, type TokenBody } from '../../helpers/back-channel.js'

const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const
type Alg = (typeof ALGORITHMS)[number]
const KEY_TYPES: Record<Alg, string> = { RS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' }

/** A client of oauth-client-1's kind that registered `alg` for its ID tokens. */
const clientFor = (alg: Alg) => ({
  clientId: `client-${alg.toLowerCase()}`,
  clientSecret: `secret-${alg.toLowerCase()}`,
  redirectUris: ['http://localhost:3000/authenticated'],
  scopes: ['foo'],
  idTokenSignedResponseAlg: alg,
})

async function server(options: Record<string, unknown> = {}) {
  const config = loadConfig(
    { LOG_LEVEL: 'silent' },
    { labOptions: { options: { extraClients: ALGORITHMS.map(clientFor), ...options }, label: 'test options' } },
  )
  const clock = testClock(Date.now())
  const app = await buildAuthServer(config, { now: clock.now, logger: false })
  return { app, config, clock }
}

type Server = Awaited<ReturnType<typeof server>>

/** Steps 1-6 with `openid` for `clientId` (oauth-client-1 by default). */
async function openidTokens({ app, config }: Server, clientId = 'oauth-client-1', secret = 'oauth-client-secret-1') {
  const pkce = pkcePair()
  const { params } = await obtainCode(app, config, {
    query: {
      client_id: clientId,
      scope: 'openid foo',
      nonce: 'n-1',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    },
  })
  const caller = { headers: { authorization: basic(clientId, secret) } }
  const res = await redeemCode(app, config, params.get('code')!, pkce.verifier, caller)
  expect(res.statusCode).toBe(200)
  return res.json<TokenBody & { id_token: string }>()
}

const jwksOf = async ({ app }: Server) => (await app.inject({ method: 'GET', url: '/jwks' })).json<{ keys: JWK[] }>()

/** OIDC Core §3.1.3.6, computed here: the left half of SHA-256 (RS256, ES256) or SHA-512 (EdDSA with Ed25519). */
function expectedAtHash(accessToken: string, alg: Alg): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(accessToken)
    .digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

describe('the default ID token', () => {
  it('is RS256, verifies with the RS256 key of /jwks, and the access token keeps SIGNING_ALG (ES256)', async () => {
    const lab = await server()
    const tokens = await openidTokens(lab)
    const jwks = await jwksOf(lab)
    const header = decodeProtectedHeader(tokens.id_token)
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(jwks.keys.find((k) => k.kid === header.kid)).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    // An RS256-only relying party (openid-client 5's default, many Java and .NET ones).
    const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), {
      algorithms: ['RS256'],
      issuer: lab.config.auth.publicUrl,
      audience: 'oauth-client-1',
      currentDate: new Date(lab.clock.now()),
    })
    expect(payload).toMatchObject({ sub: 'alice', nonce: 'n-1' })
    expect(payload.at_hash).toBe(expectedAtHash(tokens.access_token, 'RS256'))
    // The access token: SIGNING_ALG, with the key /jwks lists first.
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
    expect(decodeProtectedHeader(tokens.access_token).kid).toBe(jwks.keys[0]?.kid)
    await lab.app.close()
  })

  it('stays RS256 when SIGNING_ALG is EdDSA, which the access tokens use', async () => {
    const lab = await server({ signingAlg: 'EdDSA' })
    const tokens = await openidTokens(lab)
    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('RS256')
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('EdDSA')
    const jwks = await jwksOf(lab)
    expect(jwks.keys.map((k) => k.alg)).toEqual(['EdDSA', 'RS256', 'ES256'])
    await lab.app.close()
  })
})

describe('a client with idTokenSignedResponseAlg', () => {
  for (const alg of ALGORITHMS) {
    it(`${alg}: gets ID tokens signed with it, verifiable with /jwks, with the at_hash of ${alg}`, async () => {
      const lab = await server()
      const client = clientFor(alg)
      const tokens = await openidTokens(lab, client.clientId, client.clientSecret)
      const jwks = await jwksOf(lab)
      const header = decodeProtectedHeader(tokens.id_token)
      expect(header.alg).toBe(alg)
      expect(jwks.keys.find((k) => k.kid === header.kid)).toMatchObject({ kty: KEY_TYPES[alg], alg })
      const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), {
        algorithms: [alg],
        audience: client.clientId,
        currentDate: new Date(lab.clock.now()),
      })
      expect(payload.at_hash).toBe(expectedAtHash(tokens.access_token, alg))
      // Its access tokens are still SIGNING_ALG's.
      expect(decodeProtectedHeader(tokens.access_token).alg).toBe('ES256')
      await lab.app.close()
    })
  }

  it('is refused when it is not one of RS256, ES256, EdDSA', () => {
    for (const alg of ['HS256', 'none', 'PS256']) {
      expect(() =>
        loadConfig(
          { LOG_LEVEL: 'silent' },
          { labOptions: { options: { extraClients: [{ clientId: 'c', idTokenSignedResponseAlg: alg }] }, label: 'x' } },
        ),
      ).toThrow('x at /extraClients/0/idTokenSignedResponseAlg: must be one of: ES256, RS256, EdDSA')
    }
  })
})

describe('the ID token keys', () => {
  it('are made on first use: a server that has signed no ID token and served no /jwks has no RSA key', async () => {
    const lab = await server()
    expect(lab.app.oauthLab.keys.publishedKids()).toHaveLength(1)
    await openidTokens(lab)
    expect(lab.app.oauthLab.keys.publishedKids()).toHaveLength(2)
    // /jwks lists every algorithm's key from the first fetch on: a verifier caches it.
    expect((await jwksOf(lab)).keys).toHaveLength(3)
    await lab.app.close()
  })

  it('rotate with the access key; ID tokens signed before a rotation still verify and serve as id_token_hint', async () => {
    const lab = await server()
    const before = await Promise.all(
      ALGORITHMS.map((alg) => openidTokens(lab, clientFor(alg).clientId, clientFor(alg).clientSecret)),
    )
    const oldKids = (await jwksOf(lab)).keys.map((k) => k.kid)
    await lab.app.oauthLab.keys.rotate()
    const jwks = await jwksOf(lab)
    expect(jwks.keys.map((k) => k.kid).slice(3)).toEqual(oldKids)
    for (const [i, alg] of ALGORITHMS.entries()) {
      const token = before[i]!.id_token
      await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [alg], currentDate: new Date(lab.clock.now()) })
      // RP-Initiated Logout 1.0 §2: a hint signed by any ID token key, current or previous.
      const res = await lab.app.inject({ method: 'GET', url: `/end-session?id_token_hint=${token}` })
      expect(res.statusCode).toBe(200)
      // A new ID token has the new key of its algorithm.
      const after = await openidTokens(lab, clientFor(alg).clientId, clientFor(alg).clientSecret)
      const kid = decodeProtectedHeader(after.id_token).kid
      expect(jwks.keys.slice(0, 3).find((k) => k.kid === kid)?.alg).toBe(alg)
    }
    await lab.app.close()
  })

  it('never make an ID token pass as an access token (RFC 9068 §4: typ at+jwt)', async () => {
    const lab = await server()
    const tokens = await openidTokens(lab, clientFor('ES256').clientId, clientFor('ES256').clientSecret)
    // ES256 like the access tokens, with the same key: typ still tells them apart.
    expect(decodeProtectedHeader(tokens.id_token).kid).toBe(decodeProtectedHeader(tokens.access_token).kid)
    expect((await introspect(lab.app, tokens.id_token)).json()).toEqual({ active: false })
    const userinfo = await lab.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.id_token}` },
    })
    expect(userinfo.statusCode).toBe(401)
    await lab.app.close()
  })
})
