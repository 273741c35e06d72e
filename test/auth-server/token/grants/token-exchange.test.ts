// POST /token with grant_type=urn:ietf:params:oauth:grant-type:token-exchange
// (RFC 8693): a confidential client with an exchange policy trades a user's
// access token (and optionally its own, as actor) for a token for another
// registered resource server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { buildAuthServer } from '../../../../src/auth-server/app.js'
import { loadConfig, type LabConfig } from '../../../../src/shared/config.js'
import { basic, testClock, type TestClock } from '../../../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  introspect,
  postForm,
  revoke,
  tokensFor,
  type Caller,
} from '../../../helpers/back-channel.js'
import { dpopKey } from '../../../helpers/dpop.js'

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock
let mcp: string
let userToken: string

const noPolicy: Caller = { headers: { authorization: basic('api-without-policy', 'secret-2') } }
const opaqueApp: Caller = { headers: { authorization: basic('opaque-app', 'secret-3') } }
const publicExchanger: Caller = { form: { client_id: 'public-exchanger' } }

beforeAll(async () => {
  config = loadConfig(
    { LOG_LEVEL: 'silent' },
    {
      labOptions: {
        label: 'token exchange test',
        options: {
          extraClients: [
            { clientId: 'api-without-policy', clientSecret: 'secret-2', scopes: ['foo'], grantTypes: [GRANT] },
            {
              clientId: 'opaque-app',
              clientSecret: 'secret-3',
              scopes: ['foo', 'bar'],
              grantTypes: ['client_credentials'],
              accessTokenFormat: 'opaque',
            },
            { clientId: 'public-exchanger', redirectUris: ['http://localhost:3000/cb'], grantTypes: [GRANT] },
          ],
        },
      },
    },
  )
  clock = testClock(Date.now())
  app = await buildAuthServer(config, { now: clock.now, logger: false })
  mcp = `${config.resource.publicUrl}/mcp`
  userToken = (await tokensFor(app, config)).access_token
})
afterAll(() => app.close())

function exchange(form: Record<string, string>, caller: Caller = confidential) {
  return postForm(app, '/token', { grant_type: GRANT, ...form }, caller)
}

function userExchange(extra: Record<string, string> = {}, caller: Caller = confidential) {
  return exchange({ subject_token: userToken, subject_token_type: ACCESS_TOKEN_TYPE, resource: mcp, ...extra }, caller)
}

async function verified(token: string, audience: string): Promise<JWTPayload> {
  const jwks = (await app.inject({ method: 'GET', url: '/jwks' })).json()
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: config.auth.publicUrl,
    audience,
    typ: 'at+jwt',
    currentDate: new Date(clock.now()),
  })
  return payload
}

async function clientToken(caller: Caller = confidential): Promise<string> {
  const res = await postForm(app, '/token', { grant_type: 'client_credentials' }, caller)
  expect(res.statusCode).toBe(200)
  return res.json<{ access_token: string }>().access_token
}

describe('token exchange for oauth-client-1 (impersonation: no actor token)', () => {
  it('answers RFC 8693 §2.2.1: issued_token_type, Bearer, expires_in, scope, no refresh token, no-store', async () => {
    const res = await userExchange()
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json<Record<string, unknown>>()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_token_type', 'scope', 'token_type'])
    expect(body).toMatchObject({
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'foo bar',
    })
  })

  it("issues a token for the target: the subject's sub, the requesting client, no act", async () => {
    const token = (await userExchange()).json<{ access_token: string }>().access_token
    const payload = await verified(token, mcp)
    expect(payload).toMatchObject({ sub: 'alice', aud: mcp, client_id: 'oauth-client-1', scope: 'foo bar' })
    expect(payload.act).toBeUndefined()
    await expect(verified(token, config.resource.publicUrl)).rejects.toThrow(/aud/)
  })

  it('takes audience as the same namespace as resource (RFC 8693 §2.1)', async () => {
    const res = await exchange({ subject_token: userToken, subject_token_type: ACCESS_TOKEN_TYPE, audience: mcp })
    expect(res.statusCode).toBe(200)
    expect((await verified(res.json<{ access_token: string }>().access_token, mcp)).aud).toBe(mcp)
    expect((await userExchange({ audience: mcp })).statusCode).toBe(200)
  })

  it('narrows the scope to what is asked, never wider than the subject token (invalid_scope)', async () => {
    const res = await userExchange({ scope: 'foo' })
    expect(res.statusCode).toBe(200)
    expect(res.json<{ scope: string }>().scope).toBe('foo')
    const narrow = (await tokensFor(app, config, { scope: 'foo' })).access_token
    expectOAuthError(await userExchange({ subject_token: narrow, scope: 'foo bar' }), 400, 'invalid_scope')
  })

  it('takes requested_token_type access_token and refuses any other (invalid_request)', async () => {
    expect((await userExchange({ requested_token_type: ACCESS_TOKEN_TYPE })).statusCode).toBe(200)
    const res = await userExchange({ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json<{ error_description: string }>().error_description).toMatch(/requested_token_type .* not supported/)
  })

  it('binds the new token to a DPoP key when the request carries a proof (RFC 9449 §5)', async () => {
    const key = await dpopKey(clock.now)
    const proof = await key.proof({ htm: 'POST', htu: `${config.auth.publicUrl}/token` })
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof, ...confidential.headers },
      payload: new URLSearchParams({
        grant_type: GRANT,
        subject_token: userToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: mcp,
      }).toString(),
    })
    expect(res.statusCode).toBe(200)
    const body = res.json<{ token_type: string; access_token: string }>()
    expect(body.token_type).toBe('DPoP')
    expect((await verified(body.access_token, mcp)).cnf).toEqual({ jkt: key.jkt })
  })

  it('is listed in grant_types_supported (RFC 8414 §2)', async () => {
    const meta = (await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<{
      grant_types_supported: string[]
    }>()
    expect(meta.grant_types_supported).toContain(GRANT)
  })
})

describe('token exchange with an actor token (delegation, RFC 8693 §4.1)', () => {
  it('names the actor in act: its sub, and its client_id only when it is not the sub', async () => {
    const actor = await clientToken()
    const res = await userExchange({ actor_token: actor, actor_token_type: ACCESS_TOKEN_TYPE })
    expect(res.statusCode).toBe(200)
    const payload = await verified(res.json<{ access_token: string }>().access_token, mcp)
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1' })
    expect(payload.act).toEqual({ sub: 'oauth-client-1' })
  })

  it('nests the act of a subject token that had one: the current actor outermost', async () => {
    const actor = await clientToken()
    const first = (await userExchange({ actor_token: actor, actor_token_type: ACCESS_TOKEN_TYPE })).json<{
      access_token: string
    }>().access_token
    const otherActor = await clientToken(opaqueApp)
    const res = await userExchange({
      subject_token: first,
      actor_token: otherActor,
      actor_token_type: ACCESS_TOKEN_TYPE,
    })
    expect(res.statusCode).toBe(200)
    const payload = await verified(res.json<{ access_token: string }>().access_token, mcp)
    expect(payload.sub).toBe('alice')
    expect(payload.act).toEqual({ sub: 'opaque-app', act: { sub: 'oauth-client-1' } })
    // Without an actor, the chain the subject token carries is kept as it is.
    const again = await userExchange({ subject_token: first })
    expect((await verified(again.json<{ access_token: string }>().access_token, mcp)).act).toEqual({
      sub: 'oauth-client-1',
    })
  })

  it('takes an actor token from a user flow: client_id beside its sub', async () => {
    const bob = (await tokensFor(app, config, { username: 'bob' })).access_token
    const res = await userExchange({ actor_token: bob, actor_token_type: ACCESS_TOKEN_TYPE })
    expect(res.statusCode).toBe(200)
    const payload = await verified(res.json<{ access_token: string }>().access_token, mcp)
    expect(payload.act).toEqual({ sub: 'bob', client_id: 'oauth-client-1' })
  })

  it('refuses actor_token without actor_token_type, the other way round, or an inactive actor (invalid_request)', async () => {
    const actor = await clientToken()
    expectOAuthError(await userExchange({ actor_token: actor }), 400, 'invalid_request')
    expectOAuthError(await userExchange({ actor_token_type: ACCESS_TOKEN_TYPE }), 400, 'invalid_request')
    expectOAuthError(
      await userExchange({ actor_token: 'not-a-token', actor_token_type: ACCESS_TOKEN_TYPE }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await userExchange({ actor_token: actor, actor_token_type: 'urn:ietf:params:oauth:token-type:jwt' }),
      400,
      'invalid_request',
    )
  })
})

describe('the subject token (RFC 8693 §2.2.2: invalid is invalid_request)', () => {
  it('requires subject_token and subject_token_type', async () => {
    expectOAuthError(await exchange({ subject_token_type: ACCESS_TOKEN_TYPE, resource: mcp }), 400, 'invalid_request')
    expectOAuthError(await exchange({ subject_token: userToken, resource: mcp }), 400, 'invalid_request')
  })

  it('takes only the access_token type', async () => {
    const res = await userExchange({ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json<{ error_description: string }>().error_description).toMatch(/subject_token_type/)
  })

  it('refuses a forged, unknown or refresh token', async () => {
    const [header = '', payload = ''] = userToken.split('.')
    expectOAuthError(await userExchange({ subject_token: `${header}.${payload}.AAAA` }), 400, 'invalid_request')
    expectOAuthError(await userExchange({ subject_token: 'unknown-opaque-token' }), 400, 'invalid_request')
    const { refresh_token: refreshToken } = await tokensFor(app, config)
    expectOAuthError(await userExchange({ subject_token: refreshToken ?? '' }), 400, 'invalid_request')
  })

  it('refuses a revoked subject token, as introspection does', async () => {
    const token = (await tokensFor(app, config)).access_token
    expect((await userExchange({ subject_token: token })).statusCode).toBe(200)
    expect((await revoke(app, token)).statusCode).toBe(200)
    expect((await introspect(app, token)).json<{ active: boolean }>().active).toBe(false)
    expectOAuthError(await userExchange({ subject_token: token }), 400, 'invalid_request')
  })

  it('refuses an expired subject token', async () => {
    const token = (await tokensFor(app, config)).access_token
    clock.advance(3601 * 1000)
    try {
      expectOAuthError(await userExchange({ subject_token: token }), 400, 'invalid_request')
    } finally {
      clock.advance(-3601 * 1000)
    }
  })

  it('takes an opaque access token of the lab, checked by its stored claims', async () => {
    const opaque = await clientToken(opaqueApp)
    expect(opaque.split('.')).toHaveLength(1)
    const res = await userExchange({ subject_token: opaque })
    expect(res.statusCode).toBe(200)
    const payload = await verified(res.json<{ access_token: string }>().access_token, mcp)
    expect(payload).toMatchObject({ sub: 'opaque-app', client_id: 'oauth-client-1', scope: 'foo bar' })
  })
})

describe('the target and the policy', () => {
  it('refuses a target outside the client policy, unknown, missing or split in two (invalid_target)', async () => {
    expectOAuthError(await userExchange({ resource: config.resource.publicUrl }), 400, 'invalid_target')
    expectOAuthError(await userExchange({ resource: 'https://unknown.example/api' }), 400, 'invalid_target')
    expectOAuthError(await userExchange({ resource: 'not a uri' }), 400, 'invalid_target')
    expectOAuthError(
      await exchange({ subject_token: userToken, subject_token_type: ACCESS_TOKEN_TYPE }),
      400,
      'invalid_target',
    )
    expectOAuthError(await userExchange({ audience: config.resource.publicUrl }), 400, 'invalid_target')
  })

  it('refuses a client without a policy, a public client, and a client not registered for the grant (unauthorized_client)', async () => {
    expectOAuthError(await userExchange({}, noPolicy), 400, 'unauthorized_client')
    expectOAuthError(await userExchange({}, publicExchanger), 400, 'unauthorized_client')
    expectOAuthError(await userExchange({}, opaqueApp), 400, 'unauthorized_client')
  })

  it('leaves the grant out of the default grants of a client registered without grantTypes', () => {
    const plain = loadConfig(
      { LOG_LEVEL: 'silent' },
      {
        labOptions: {
          label: 't',
          options: {
            extraClients: [{ clientId: 'plain', clientSecret: 's', redirectUris: ['http://localhost:3000/cb'] }],
          },
        },
      },
    )
    expect(plain.clients.find((c) => c.clientId === 'plain')?.grantTypes).not.toContain(GRANT)
    expect(plain.clients.find((c) => c.clientId === 'oauth-client-1')).toMatchObject({
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials', GRANT],
      tokenExchange: { audiences: [`${plain.resource.publicUrl}/mcp`] },
    })
  })

  it.each([
    [
      {
        extraClients: [
          { clientId: 'api', clientSecret: 's', tokenExchange: { audiences: ['https://nowhere.example'] } },
        ],
      },
      '/extraClients/0/tokenExchange/audiences/0: "https://nowhere.example" is not a registered resource server',
    ],
    [
      {
        extraClients: [
          { clientId: 'api', redirectUris: ['http://localhost:3000/cb'], tokenExchange: { audiences: [] } },
        ],
      },
      '/extraClients/0/tokenExchange: a public client cannot exchange tokens',
    ],
    [
      { extraClients: [{ clientId: 'api', clientSecret: 's', tokenExchange: { audience: [] } }] },
      '/extraClients/0/tokenExchange',
    ],
  ])('checks the policy item of a client (%j)', (options, message) => {
    expect(() => loadConfig({ LOG_LEVEL: 'silent' }, { labOptions: { label: 't', options } })).toThrow(message)
  })

  it('accepts an audience that the resources registered', () => {
    const options = {
      resources: [{ identifier: 'https://api2.example', scopes: ['foo'] }],
      clients: [
        {
          clientId: 'oauth-client-1',
          clientSecret: 's',
          redirectUris: ['http://localhost:3000/authenticated'],
          grantTypes: [GRANT],
          tokenExchange: { audiences: ['https://api2.example'] },
        },
      ],
    }
    const loaded = loadConfig({ LOG_LEVEL: 'silent' }, { labOptions: { label: 't', options } })
    expect(loaded.clients[0]?.tokenExchange).toEqual({ audiences: ['https://api2.example'] })
  })
})
