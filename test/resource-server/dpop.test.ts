// RFC 9449 §7 at the resource server: a DPoP-bound token is accepted only as
// `Authorization: DPoP` with a proof of its key for this very request (ath
// included); each attack gets 401 with the DPoP challenge (§7.1) and its
// error code. Bearer tokens keep working as before.

import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { JWTPayload } from 'jose'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { dpopKey, type DpopKey } from '../helpers/dpop.js'
import { startJwksFixture, type JwksFixture } from '../helpers/jwks-fixture.js'

const ALGS = 'algs="ES256 RS256 PS256 EdDSA"'

let fixture: JwksFixture
let config: LabConfig
let app: FastifyInstance
let key: DpopKey

beforeAll(async () => {
  fixture = await startJwksFixture()
  config = loadConfig({ AUTH_INTERNAL_URL: fixture.url })
  app = await buildResourceServer(config, { logger: false })
  key = await dpopKey()
})
afterAll(async () => {
  await app?.close()
  await fixture?.close()
})

const resourceUrl = () => `${config.resource.publicUrl}/resource`

function token(jkt: string | undefined, overrides: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return fixture.sign({
    iss: config.auth.publicUrl,
    aud: config.resource.publicUrl,
    sub: 'alice',
    client_id: 'oauth-client-1',
    scope: 'foo',
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...(jkt === undefined ? {} : { cnf: { jkt } }),
    ...overrides,
  })
}

function get(target: FastifyInstance, headers: Record<string, string>) {
  return target.inject({ method: 'GET', url: '/resource', headers })
}

async function dpopCall(target: FastifyInstance, accessToken: string, proof?: string) {
  const p = proof ?? (await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken }))
  return get(target, { authorization: `DPoP ${accessToken}`, dpop: p })
}

function expectDpopRefusal(res: Awaited<ReturnType<typeof get>>, error: string, description: RegExp) {
  expect(res.statusCode).toBe(401)
  expect(res.json()).toMatchObject({ error })
  expect(res.json<{ error_description: string }>().error_description).toMatch(description)
  const challenge = res.headers['www-authenticate'] as string
  expect(challenge).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", ${ALGS}$`))
}

describe('GET /resource with a DPoP-bound token (RFC 9449 §7)', () => {
  it('accepts it with a valid proof of its key: 200', async () => {
    const res = await dpopCall(app, await token(key.jkt))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ resource: 'foo', sub: 'alice' })
  })

  it('the scheme name is case-insensitive (RFC 9110 §11.1)', async () => {
    const accessToken = await token(key.jkt)
    const proof = await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken })
    expect((await get(app, { authorization: `dpop ${accessToken}`, dpop: proof })).statusCode).toBe(200)
  })

  it('refuses it as Bearer: 401 invalid_token with the DPoP challenge (§7.2)', async () => {
    const res = await get(app, { authorization: `Bearer ${await token(key.jkt)}` })
    expectDpopRefusal(res, 'invalid_token', /bound to a DPoP key/)
  })

  it('refuses a replayed proof: 401 invalid_dpop_proof', async () => {
    const accessToken = await token(key.jkt)
    const proof = await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken })
    expect((await dpopCall(app, accessToken, proof)).statusCode).toBe(200)
    expectDpopRefusal(await dpopCall(app, accessToken, proof), 'invalid_dpop_proof', /used before/)
  })

  it('refuses a proof made for another URL: 401 invalid_dpop_proof', async () => {
    const accessToken = await token(key.jkt)
    const proof = await key.proof({ htm: 'GET', htu: `${config.auth.publicUrl}/userinfo`, accessToken })
    expectDpopRefusal(await dpopCall(app, accessToken, proof), 'invalid_dpop_proof', /htu must be/)
  })

  it('refuses a proof made for another method: 401 invalid_dpop_proof', async () => {
    const accessToken = await token(key.jkt)
    const proof = await key.proof({ htm: 'POST', htu: resourceUrl(), accessToken })
    expectDpopRefusal(await dpopCall(app, accessToken, proof), 'invalid_dpop_proof', /htm must be GET/)
  })

  it('refuses the token used with another key: 401 invalid_dpop_proof', async () => {
    const thief = await dpopKey()
    const accessToken = await token(key.jkt)
    const proof = await thief.proof({ htm: 'GET', htu: resourceUrl(), accessToken })
    expectDpopRefusal(await dpopCall(app, accessToken, proof), 'invalid_dpop_proof', /another key/)
  })

  it('refuses a proof whose ath is the hash of another token: 401 invalid_dpop_proof', async () => {
    const accessToken = await token(key.jkt)
    const proof = await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken: await token(key.jkt) })
    expectDpopRefusal(await dpopCall(app, accessToken, proof), 'invalid_dpop_proof', /ath does not match/)
  })

  it('refuses the DPoP scheme without a proof: 401 invalid_dpop_proof', async () => {
    const res = await get(app, { authorization: `DPoP ${await token(key.jkt)}` })
    expectDpopRefusal(res, 'invalid_dpop_proof', /no DPoP proof/)
  })

  it('refuses an unbound token under the DPoP scheme: 401 invalid_token', async () => {
    expectDpopRefusal(await dpopCall(app, await token(undefined)), 'invalid_token', /not bound to a DPoP key/)
  })

  it('refuses an invalid token under the DPoP scheme: 401 invalid_token', async () => {
    const expired = await token(key.jkt, { exp: Math.floor(Date.now() / 1000) - 600 })
    expectDpopRefusal(await dpopCall(app, expired), 'invalid_token', /expired/)
  })

  it('a malformed DPoP authorization header: 400 invalid_request', async () => {
    const res = await get(app, { authorization: 'DPoP ', dpop: 'x' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'invalid_request' })
    expect(res.headers['www-authenticate']).toBe(`DPoP ${ALGS}`)
  })

  it('a plain bearer token keeps working', async () => {
    expect((await get(app, { authorization: `Bearer ${await token(undefined)}` })).statusCode).toBe(200)
  })
})

describe('with DPOP_NONCE=on (RFC 9449 §9)', () => {
  let noncing: FastifyInstance
  beforeAll(async () => {
    noncing = await buildResourceServer(loadConfig({ AUTH_INTERNAL_URL: fixture.url, DPOP_NONCE: 'on' }), {
      logger: false,
    })
  })
  afterAll(() => noncing.close())

  it('answers 401 use_dpop_nonce with DPoP-Nonce; the retry with the nonce passes, a stale one does not', async () => {
    const accessToken = await token(key.jkt)
    const first = await dpopCall(noncing, accessToken)
    expectDpopRefusal(first, 'use_dpop_nonce', /nonce/)
    const nonce = String(first.headers['dpop-nonce'])
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    const retry = await dpopCall(
      noncing,
      accessToken,
      await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken, nonce }),
    )
    expect(retry.statusCode).toBe(200)
    const made = await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken, nonce: 'made-up' })
    expectDpopRefusal(await dpopCall(noncing, accessToken, made), 'use_dpop_nonce', /not current/)
  })
})
