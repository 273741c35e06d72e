// Scenarios, hooks and opaque tokens, used the way your own tests would use
// them. In your project the import is `import { startLab } from 'oauth-lab'`.

import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { startLab, type ClientRegistration, type Lab } from '../../src/index.js'

// A client of your own whose access tokens are opaque: only the authorization
// server can read them, so the resource server asks it (RFC 7662 introspection).
const opaqueClient: ClientRegistration = {
  clientId: 'my-opaque-service',
  clientSecret: 'my-opaque-secret',
  name: 'My opaque service',
  redirectUris: [],
  scopes: ['foo'],
  tokenEndpointAuthMethods: ['client_secret_basic'],
  grantTypes: ['client_credentials'],
  requirePkce: false,
  accessTokenFormat: 'opaque',
}

let lab: Lab

beforeAll(async () => {
  // admin: true opens POST /_lab/scenarios; loginAs signs every browser in as alice.
  lab = await startLab({ admin: true, loginAs: 'alice', extraClients: [opaqueClient] })
})
afterAll(() => lab.close())
// reset() disarms scenarios along with sessions, tokens and recorded requests.
beforeEach(() => lab.reset())

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

function tokenRequest(authorization = basic('oauth-client-1', 'oauth-client-secret-1')) {
  return fetch(`${lab.urls.auth}/token`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=foo',
  })
}

function getResource(token: string) {
  return fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${token}` } })
}

describe('lab.scenarios', () => {
  it('failTokenRequests: does my client handle invalid_grant?', async () => {
    lab.scenarios.failTokenRequests({ count: 2 })
    expect((await tokenRequest()).status).toBe(400)
    expect(await (await tokenRequest()).json()).toMatchObject({ error: 'invalid_grant' })
    expect((await tokenRequest()).status).toBe(200) // only the next two failed
  })

  it('denyNextAuthorization: does my client handle access_denied?', async () => {
    lab.scenarios.denyNextAuthorization()
    const authorize = new URL(`${lab.urls.auth}/authorize`)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'oauth-client-1',
      redirect_uri: `${lab.urls.client}/authenticated`,
      scope: 'foo',
      state: 'xyz',
    }).toString()
    const res = await fetch(authorize, { redirect: 'manual' })
    const back = new URL(res.headers.get('location')!)
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('state')).toBe('xyz')
    // The next authorization gets its code as usual.
    const again = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!)
    expect(again.searchParams.get('code')).toBeTruthy()
  })

  it('the same over HTTP, from any language: POST /_lab/scenarios with the lab key', async () => {
    // The scenarios are a lab power: Authorization: Bearer <lab key>.
    const labKey = { authorization: `Bearer ${lab.labKey}` }
    const arm = (body: object) =>
      fetch(`${lab.urls.auth}/_lab/scenarios`, {
        method: 'POST',
        headers: { ...labKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await arm({ type: 'delay-token-endpoint', ms: 500, count: 1 })).status).toBe(200)
    expect(await (await fetch(`${lab.urls.auth}/_lab/scenarios`, { headers: labKey })).json()).toMatchObject({
      delayTokenEndpoint: { ms: 500, remaining: 1 },
    })
    const start = performance.now()
    expect((await tokenRequest()).status).toBe(200)
    expect(performance.now() - start).toBeGreaterThanOrEqual(490)
    expect((await arm({ type: 'delay-token-endpoint', ms: 60_000 })).status).toBe(400) // at most 30 s
  })

  it('rotateKeys: old tokens keep working, new ones carry the new kid', async () => {
    const before = await lab.issueToken({ sub: 'alice', scope: 'foo' })
    expect((await getResource(before)).status).toBe(200) // the resource server now caches the JWKS

    const kidsBefore = (await (await fetch(`${lab.urls.auth}/jwks`)).json()).keys.map((k: { kid: string }) => k.kid)
    expect(kidsBefore).toHaveLength(3) // the access tokens' key, then RS256 and EdDSA for ID tokens
    expect(kidsBefore[0]).toBe(decodeProtectedHeader(before).kid)
    const { kid } = await lab.scenarios.rotateKeys()
    const after = await lab.issueToken({ sub: 'alice', scope: 'foo' })
    expect(decodeProtectedHeader(after).kid).toBe(kid)
    const jwks = await (await fetch(`${lab.urls.auth}/jwks`)).json()
    // Every key rotated: the new ones first (the access tokens' first), then all the previous ones.
    const kids = jwks.keys.map((k: { kid: string }) => k.kid)
    expect(kids).toHaveLength(6)
    expect(kids[0]).toBe(kid)
    expect(kids.slice(3)).toEqual(kidsBefore)

    // The resource server refetches the JWKS for an unknown kid at most once a
    // second (jose's cooldown, in real time): move the real clock past it.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 2_000)
      expect((await getResource(after)).status).toBe(200)
      expect((await getResource(before)).status).toBe(200) // the previous key is still published
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('lab.hooks', () => {
  it('beforeTokenSigning: the claims your API expects', async () => {
    lab.hooks.beforeTokenSigning = (claims, { clientId }) => ({
      ...claims,
      roles: clientId === 'oauth-client-1' ? ['reader'] : [],
    })
    try {
      const { access_token } = await (await tokenRequest()).json()
      expect(decodeJwt(access_token).roles).toEqual(['reader'])
    } finally {
      delete lab.hooks.beforeTokenSigning
    }
  })

  it('beforeResponse: a token response your client must cope with', async () => {
    lab.hooks.beforeResponse = (response, { route }) => {
      if (route === 'token') response.body = { ...(response.body as object), expires_in: 0 }
    }
    try {
      expect((await (await tokenRequest()).json()).expires_in).toBe(0)
    } finally {
      delete lab.hooks.beforeResponse
    }
  })
})

describe('opaque access tokens', () => {
  it('the resource server accepts them through introspection, and refuses them once revoked', async () => {
    const credentials = basic(opaqueClient.clientId, opaqueClient.clientSecret!)
    const { access_token } = await (await tokenRequest(credentials)).json()
    expect(access_token.split('.')).toHaveLength(1) // not a JWT
    const res = await getResource(access_token)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'my-opaque-service', client_id: 'my-opaque-service', scope: 'foo' })

    await fetch(`${lab.urls.auth}/revoke`, {
      method: 'POST',
      headers: { authorization: credentials, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: access_token }).toString(),
    })
    expect((await getResource(access_token)).status).toBe(401)
  })

  it('issueToken() gives an opaque token for such a client', async () => {
    const token = await lab.issueToken({ sub: 'alice', clientId: 'my-opaque-service', scope: 'foo' })
    expect(token.split('.')).toHaveLength(1)
    expect(await (await getResource(token)).json()).toMatchObject({ sub: 'alice', client_id: 'my-opaque-service' })
  })
})
