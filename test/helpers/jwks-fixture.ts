// A stand-in for the authorization server's `GET /jwks`: one key pair, a tiny
// server on 127.0.0.1, and `sign()` to mint access tokens, good or bad.

import Fastify from 'fastify'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import type { CryptoKey, JWTPayload } from 'jose'

export interface SignOptions {
  /** Header `typ`; `null` leaves it out. Default `at+jwt` (RFC 9068 §2.1). */
  readonly typ?: string | null
  readonly alg?: string
  /** Header `kid`; `null` leaves it out. Default the fixture's kid. */
  readonly kid?: string | null
  /** Signing key; default the fixture's private key. */
  readonly key?: CryptoKey
}

export interface JwksFixture {
  /** Base URL, e.g. `http://127.0.0.1:40123`; the keys are at `${url}/jwks`. */
  readonly url: string
  readonly kid: string
  readonly alg: string
  /** How many times `/jwks` has been fetched. */
  hits(): number
  /** While set, `/jwks` answers with this status and no keys. */
  failWith(status: number | undefined): void
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>
  close(): Promise<void>
}

/** A private key whose public half is not published, for "signed by another key". */
export async function otherKey(alg = 'ES256'): Promise<CryptoKey> {
  return (await generateKeyPair(alg)).privateKey
}

export async function startJwksFixture(alg = 'ES256', kid = 'test-key-1'): Promise<JwksFixture> {
  const { publicKey, privateKey } = await generateKeyPair(alg)
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  let hits = 0
  let failure: number | undefined
  const server = Fastify({ logger: false })
  server.get('/jwks', async (_request, reply) => {
    hits += 1
    if (failure !== undefined) return reply.code(failure).send({ error: 'down' })
    return { keys: [jwk] }
  })
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('jwks fixture: no TCP address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    kid,
    alg,
    hits: () => hits,
    failWith: (status) => {
      failure = status
    },
    sign: (claims, options = {}) => sign(claims, { alg, kid, key: privateKey, ...options }),
    close: () => server.close(),
  }
}

async function sign(claims: JWTPayload, options: SignOptions & { alg: string; key: CryptoKey }): Promise<string> {
  const header = {
    alg: options.alg,
    ...(options.typ === null ? {} : { typ: options.typ ?? 'at+jwt' }),
    ...(options.kid === null || options.kid === undefined ? {} : { kid: options.kid }),
  }
  return new SignJWT(claims).setProtectedHeader(header).sign(options.key)
}
