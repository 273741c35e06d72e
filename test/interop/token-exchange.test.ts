// Token exchange (RFC 8693) with openid-client 6 against startLab(): an API
// client trades a user's token for the built-in resource server for one for a
// second resource server it calls on the user's behalf. The second resource
// server's check is jose's jwtVerify against the lab's JWKS with its own
// audience; the built-in resource server refuses the new token (another aud).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { startLab, type Lab } from '../../src/index.js'

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const SECOND_API = 'https://api2.example/'

let lab: Lab
let api: client.Configuration

beforeAll(async () => {
  lab = await startLab({
    resources: [{ identifier: SECOND_API, scopes: ['foo', 'bar'], name: 'Second API' }],
    extraClients: [
      {
        clientId: 'api-1',
        clientSecret: 'api-secret-1',
        name: 'First API',
        scopes: ['foo', 'bar'],
        grantTypes: ['client_credentials', GRANT],
        tokenExchange: { audiences: [SECOND_API] },
      },
    ],
  })
  api = await client.discovery(new URL(lab.urls.auth), 'api-1', undefined, client.ClientSecretBasic('api-secret-1'), {
    execute: [client.allowInsecureRequests],
  })
})
afterAll(() => lab.close())

function resourceCall(token: string) {
  return fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${token}` } })
}

async function secondApiCheck(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${lab.urls.auth}/jwks`))
  return (await jwtVerify(token, jwks, { issuer: lab.urls.auth, audience: SECOND_API, typ: 'at+jwt' })).payload
}

describe('openid-client 6 genericGrantRequest(token-exchange) against startLab()', () => {
  it('lists the grant in the metadata openid-client discovered', () => {
    expect(api.serverMetadata().grant_types_supported).toContain(GRANT)
  })

  it("exchanges alice's token for one the second API accepts and the built-in resource server refuses", async () => {
    const userToken = await lab.issueToken({ sub: 'alice' })
    expect((await resourceCall(userToken)).status).toBe(200)

    const exchanged = await client.genericGrantRequest(api, GRANT, {
      subject_token: userToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      resource: SECOND_API,
    })
    expect(exchanged.token_type).toBe('bearer')
    expect(exchanged.issued_token_type).toBe(ACCESS_TOKEN_TYPE)
    expect(exchanged.refresh_token).toBeUndefined()
    expect(exchanged.scope).toBe('foo bar')

    const claims = await secondApiCheck(exchanged.access_token)
    expect(claims).toMatchObject({ sub: 'alice', aud: SECOND_API, client_id: 'api-1', scope: 'foo bar' })
    expect(claims.act).toBeUndefined()

    const refused = await resourceCall(exchanged.access_token)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })

  it('with the API’s own token as actor, the new token names it in act (RFC 8693 §4.1)', async () => {
    const userToken = await lab.issueToken({ sub: 'alice', scope: 'foo' })
    const actor = await client.clientCredentialsGrant(api, { scope: 'foo' })
    const exchanged = await client.genericGrantRequest(api, GRANT, {
      subject_token: userToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      resource: SECOND_API,
      actor_token: actor.access_token,
      actor_token_type: ACCESS_TOKEN_TYPE,
    })
    const claims = await secondApiCheck(exchanged.access_token)
    expect(claims).toMatchObject({ sub: 'alice', client_id: 'api-1', scope: 'foo', act: { sub: 'api-1' } })
  })

  it('honours may_act: an actor the subject token does not name is refused (RFC 8693 §4.4)', async () => {
    const actor = await client.clientCredentialsGrant(api)
    const params = {
      subject_token_type: ACCESS_TOKEN_TYPE,
      resource: SECOND_API,
      actor_token: actor.access_token,
      actor_token_type: ACCESS_TOKEN_TYPE,
    }
    const allowed = await lab.issueToken({ sub: 'alice', claims: { may_act: { sub: 'api-1' } } })
    const ok = await client.genericGrantRequest(api, GRANT, { ...params, subject_token: allowed })
    expect((await secondApiCheck(ok.access_token)).act).toEqual({ sub: 'api-1' })

    const other = await lab.issueToken({ sub: 'alice', claims: { may_act: { sub: 'another-api' } } })
    const refused = await client
      .genericGrantRequest(api, GRANT, { ...params, subject_token: other })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(client.ResponseBodyError)
    expect((refused as client.ResponseBodyError).error).toBe('invalid_request')
  })

  it('refuses a target outside the policy (invalid_target) and an invalid subject token (invalid_request)', async () => {
    const userToken = await lab.issueToken({ sub: 'alice' })
    const outside = await client
      .genericGrantRequest(api, GRANT, {
        subject_token: userToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: lab.urls.resource,
      })
      .catch((e: unknown) => e)
    expect((outside as client.ResponseBodyError).error).toBe('invalid_target')
    const invalid = await client
      .genericGrantRequest(api, GRANT, {
        subject_token: `${userToken}x`,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: SECOND_API,
      })
      .catch((e: unknown) => e)
    expect((invalid as client.ResponseBodyError).error).toBe('invalid_request')
  })

  it('lab.addClient checks the policy as a config file is checked: each audience a registered resource', () => {
    expect(() =>
      lab.addClient({
        clientId: 'api-9',
        clientSecret: 's',
        tokenExchange: { audiences: ['https://nowhere.example/'] },
      }),
    ).toThrow('/tokenExchange/audiences/0: "https://nowhere.example/" is not a registered resource server')
  })
})
