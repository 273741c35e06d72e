// Controlling the lab from a test: who signs in next (and their claims), users
// added while it runs, one-shot hooks, a key rotation that JWKS caches
// survive, scenarios armed at start. In your project the import is
// `import { startLab } from 'oauth-lab'`.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { startLab, type Lab, type LabOptions } from '../../src/index.js'

let lab: Lab

beforeAll(async () => {
  lab = await startLab({ admin: true })
})
afterAll(() => lab.close())
beforeEach(() => lab.reset())

const basic = `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`

/** What a client does: /authorize (expecting no login page), then the code for tokens at /token. */
async function signIn(scope = 'openid profile email foo') {
  const redirectUri = `${lab.urls.client}/authenticated`
  const authorize = new URL(`${lab.urls.auth}/authorize`)
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'oauth-client-1',
    redirect_uri: redirectUri,
    scope,
    state: 'state-1',
    nonce: 'nonce-1',
  }).toString()
  const res = await fetch(authorize, { redirect: 'manual' })
  expect(res.status).toBe(302) // no login page: the next login signed the user in
  const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? ''
  const token = await fetch(`${lab.urls.auth}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
  })
  expect(token.status).toBe(200)
  return (await token.json()) as { access_token: string; id_token: string }
}

async function clientCredentialsToken(): Promise<string> {
  const res = await fetch(`${lab.urls.auth}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=foo',
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

describe('lab.signInNext', () => {
  it('the next sign-in is the chosen user, with extra claims in the ID token, access token and userinfo', async () => {
    lab.signInNext({ username: 'bob', claims: { roles: ['admin'], email: 'bob@tenant.test' } })
    const tokens = await signIn()
    expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: 'bob', roles: ['admin'], email: 'bob@tenant.test' })
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'bob', roles: ['admin'] })
    const userinfo = await fetch(`${lab.urls.auth}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(await userinfo.json()).toMatchObject({ sub: 'bob', email: 'bob@tenant.test', roles: ['admin'] })
    const resource = await fetch(`${lab.urls.resource}/resource`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(await resource.json()).toMatchObject({ sub: 'bob' })
    // Once only: the next authorization shows the login page again.
    const again = await fetch(
      `${lab.urls.auth}/authorize?response_type=code&client_id=oauth-client-1&scope=foo&state=s`,
      { redirect: 'manual' },
    )
    expect(again.status).toBe(200)
  })

  it('a user added with lab.addUser can be the next one; a bad user is refused with its pointer', async () => {
    lab.addUser({ username: 'carol', password: 'carol-password', sub: 'user-3', claims: { name: 'Carol' } })
    lab.signInNext({ username: 'carol' })
    const tokens = await signIn()
    expect(decodeJwt(tokens.id_token).sub).toBe('user-3')
    expect(() => lab.addUser({ username: 'alice', password: 'x', sub: 'another' })).toThrow(
      'lab.addUser at /username: duplicate username "alice"',
    )
    expect(() => lab.signInNext({ username: 'mallory' })).toThrow(/no user is named 'mallory'/)
  })

  it('over HTTP, from any language: POST /_lab/next-login with the lab key', async () => {
    const res = await fetch(`${lab.urls.auth}/_lab/next-login`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lab.labKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', claims: { tenant: 'acme' } }),
    })
    expect(res.status).toBe(200)
    expect(decodeJwt((await signIn()).access_token)).toMatchObject({ sub: 'alice', tenant: 'acme' })
  })
})

describe('lab.hooks.once', () => {
  it('runs for the next access token only', async () => {
    let calls = 0
    lab.hooks.once('beforeTokenSigning', (claims) => {
      calls++
      return { ...claims, roles: ['auditor'] }
    })
    expect(decodeJwt(await clientCredentialsToken()).roles).toEqual(['auditor'])
    expect(decodeJwt(await clientCredentialsToken()).roles).toBeUndefined()
    expect(calls).toBe(1)
  })
})

describe('lab.rotateKeys({ publishFirst: true })', () => {
  const jwksFetches = () => lab.requests().filter((r) => r.server === 'auth-server' && r.url === '/jwks').length

  it('a JWKS cached before the switch verifies the new key’s tokens; after the second call the new kid signs', async () => {
    const { kid: current, next } = await lab.rotateKeys({ publishFirst: true })
    expect(next).toBeDefined()
    // A verifier with jose's default cooldown (30 s) fetches the JWKS now, before the switch.
    const jwks = createRemoteJWKSet(new URL(`${lab.urls.auth}/jwks`))
    const before = await clientCredentialsToken()
    expect(decodeProtectedHeader(before).kid).toBe(current) // still signing with the current key
    await jwtVerify(before, jwks, { issuer: lab.urls.auth })
    const fetched = jwksFetches()
    expect(fetched).toBe(1)

    const { kid } = await lab.rotateKeys({ publishFirst: true })
    expect(kid).toBe(next)
    const after = await clientCredentialsToken()
    expect(decodeProtectedHeader(after).kid).toBe(next)
    // Verified from the cache: no refetch, which the cooldown would refuse anyway.
    await jwtVerify(after, jwks, { issuer: lab.urls.auth })
    await jwtVerify(before, jwks, { issuer: lab.urls.auth })
    expect(jwksFetches()).toBe(fetched)
  })

  it('without publishFirst the new key signs at once, which such a cache cannot verify yet', async () => {
    const jwks = createRemoteJWKSet(new URL(`${lab.urls.auth}/jwks`))
    await jwtVerify(await clientCredentialsToken(), jwks, { issuer: lab.urls.auth })
    await lab.rotateKeys()
    await expect(jwtVerify(await clientCredentialsToken(), jwks, { issuer: lab.urls.auth })).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    )
  })
})

describe('scenarios armed at start', () => {
  it('take effect at the first request (startLab options are checked like a config file)', async () => {
    const armed = await startLab({ scenarios: [{ type: 'fail-token-requests', count: 1, error: 'server_error' }] })
    try {
      const token = () =>
        fetch(`${armed.urls.auth}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials&scope=foo',
        })
      expect((await token()).status).toBe(500)
      expect((await token()).status).toBe(200)
    } finally {
      await armed.close()
    }
    // Options from untyped data (JSON, say) are checked at start.
    const untyped = JSON.parse('{"scenarios":[{"type":"delay-token-endpoint"}]}') as LabOptions
    await expect(startLab(untyped)).rejects.toThrow('startLab options at /scenarios/0: delay-token-endpoint needs ms')
  })
})

describe('lab.addClient', () => {
  it('registers a client written as in a config file, usable at once, forgotten by reset()', async () => {
    const added = lab.addClient({
      clientId: 'added-app',
      clientSecret: 'added-secret',
      grantTypes: ['client_credentials'],
      scopes: ['foo'],
    })
    // Completed with the config file's defaults.
    expect(added).toMatchObject({ clientId: 'added-app', scopes: ['foo'], redirectUris: [] })
    const token = () =>
      fetch(`${lab.urls.auth}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('added-app:added-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=foo',
      })
    const res = await token()
    expect(res.status).toBe(200)
    expect(decodeJwt(((await res.json()) as { access_token: string }).access_token)).toMatchObject({
      client_id: 'added-app',
    })
    lab.reset()
    expect((await token()).status).toBe(401)
  })

  it('refuses what a config file refuses, naming the field', () => {
    expect(() => lab.addClient({ clientId: 'web', redirectUris: ['not a url'] })).toThrow(
      /lab\.addClient at \/redirectUris\/0: /,
    )
    expect(() => lab.addClient({ clientId: 'web2' })).toThrow(/needs at least one redirectUris entry/)
    expect(() => lab.addClient({ clientId: 'oauth-client-1', redirectUris: ['http://localhost:1/cb'] })).toThrow(
      /duplicate clientId "oauth-client-1"/,
    )
    expect(() => lab.addClient({ clientId: 'alice', clientSecret: 's', grantTypes: ['client_credentials'] })).toThrow(
      /RFC 9700 section 4\.15\.1/,
    )
    expect(() => lab.addClient({ clientId: 'x', redirectUris: ['http://localhost:1/cb'], scopes: ['nope'] })).toThrow(
      /scope "nope" is not defined/,
    )
  })
})
