// How to use oauth-lab from your own tests. In your project the import is
// `import { startLab } from 'oauth-lab'`; here it is the source itself.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { first } from '../helpers/lists.js'
import { startLab, type Lab } from '../../src/index.js'

let lab: Lab

beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab.close())

describe('startLab()', () => {
  it('starts the three servers on free ports', async () => {
    for (const url of Object.values(lab.urls)) {
      expect(url).toMatch(/^http:\/\/localhost:\d+$/)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
    }
    const metadata = await (await fetch(`${lab.urls.auth}/.well-known/oauth-authorization-server`)).json()
    expect(metadata.issuer).toBe(lab.urls.auth)
  })

  it('issueToken() gives a token the resource server accepts', async () => {
    const token = await lab.issueToken({ sub: 'alice', scope: 'foo', claims: { email: 'alice@example.test' } })
    const res = await fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1', scope: 'foo' })
  })

  it('the clock expires tokens without sleeping', async () => {
    const token = await lab.issueToken({ sub: 'alice', scope: 'foo', expiresIn: 60 })
    lab.clock.advance(61_000 + 5_000)
    const res = await fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    lab.clock.advance(-66_000)
  })

  it('requests() lists what each server received, and reset() forgets it', async () => {
    lab.reset()
    const basic = `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`
    const res = await fetch(`${lab.urls.auth}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=foo',
    })
    expect(res.status).toBe(200)
    const request = first(lab.requests(), 'a recorded request')
    expect(request).toMatchObject({
      server: 'auth-server',
      method: 'POST',
      url: '/token',
      body: 'grant_type=client_credentials&scope=foo',
      status: 200,
    })
    expect(request.headers.authorization).toBe(basic)
    lab.reset()
    expect(lab.requests()).toEqual([])
  })
})

// Options go through the same checks and defaults as a config file.
describe('startLab(options)', () => {
  it('completes a client given in the short shape of a config file', async () => {
    const own = await startLab({
      clients: [
        { clientId: 'my-app', clientSecret: 'my-secret', redirectUris: ['http://localhost:5173/cb'], scopes: ['foo'] },
      ],
      clientApp: { clientId: 'my-app', scope: 'foo' },
      users: [{ username: 'zoe', password: 'zoe-password' }],
      loginAs: 'zoe',
    })
    try {
      const basic = `Basic ${Buffer.from('my-app:my-secret').toString('base64')}`
      const token = await fetch(`${own.urls.auth}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=foo',
      })
      expect(token.status).toBe(200)
      // loginAs signs zoe in at once: the code comes back, and her sub is her username.
      const authorize = await fetch(
        `${own.urls.auth}/authorize?response_type=code&client_id=my-app&redirect_uri=${encodeURIComponent('http://localhost:5173/cb')}&scope=foo&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
        { redirect: 'manual' },
      )
      expect(authorize.status).toBe(302)
      expect(authorize.headers.get('location')).toMatch(/^http:\/\/localhost:5173\/cb\?code=/)
      expect(own.config.users).toEqual([{ username: 'zoe', password: 'zoe-password', sub: 'zoe' }])
    } finally {
      await own.close()
    }
  })

  it.each([
    [
      { clients: [{ clientId: 'x', redirectUris: [1 as unknown as string] }] },
      'startLab options at /clients/0/redirectUris/0: must be a string',
    ],
    [{ loginAs: 'nobody' }, 'startLab options at /loginAs: must name a user (alice, bob)'],
    [{ codeTtlSeconds: 0 }, 'startLab options at /codeTtlSeconds: must be at least 1'],
  ])('refuses %j at start, naming where the problem is', async (options, message) => {
    await expect(startLab(options)).rejects.toThrow(message)
  })
})
