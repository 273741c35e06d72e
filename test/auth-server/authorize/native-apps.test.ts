// Native and CLI apps (RFC 8252): loopback redirect URIs on any port (§7.3),
// private-use URI schemes for public clients only (§7.1), and the token
// endpoint comparing redirect_uri with the one used, port included.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig, type LabConfig } from '../../../src/shared/config.js'
import { configErrorLines } from '../../../src/shared/config-error.js'
import { authorizeQuery, authServerWithClients, obtainCode, pkcePair } from '../../helpers/auth-server.js'
import { postForm } from '../../helpers/back-channel.js'

const NATIVE = 'native-cli'
const APP_SCHEME = 'com.example.app'
const APP_SCHEME_CLIENT = 'native-mobile'
const LOCALHOST_CLIENT = 'native-localhost'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await authServerWithClients('native-apps test', [
    {
      clientId: NATIVE,
      redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
      scopes: ['foo'],
    },
    { clientId: APP_SCHEME_CLIENT, redirectUris: [`${APP_SCHEME}:/callback`], scopes: ['foo'] },
    { clientId: LOCALHOST_CLIENT, redirectUris: ['http://localhost/callback'], scopes: ['foo'] },
  ]))
})
afterAll(() => app.close())

function nativeQuery(redirectUri: string, clientId = NATIVE) {
  const { challenge, verifier } = pkcePair()
  const query = {
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'foo',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }
  return { query, verifier }
}

async function expectRefusedPage(redirectUri: string, clientId = NATIVE) {
  const { query } = nativeQuery(redirectUri, clientId)
  const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config, query)}` })
  expect(res.statusCode).toBe(400)
  expect(res.headers['content-type']).toMatch(/^text\/html/)
  expect(res.headers.location).toBeUndefined()
  expect(res.body).toContain('Invalid authorization request')
}

describe('loopback redirect URIs match any port (RFC 8252 §7.3)', () => {
  for (const host of ['127.0.0.1', '[::1]']) {
    it(`http://${host}:<port>/callback reaches sign-in and comes back with a code to that port`, async () => {
      const redirectUri = `http://${host}:51004/callback`
      const { query } = nativeQuery(redirectUri)
      const { res, params } = await obtainCode(app, config, { query, remember: false })
      expect(res.statusCode).toBe(303)
      expect((res.headers.location as string).startsWith(`${redirectUri}?`)).toBe(true)
      expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })
  }

  it('the registered URI without a port still matches', async () => {
    const { query } = nativeQuery('http://127.0.0.1/callback')
    const { params } = await obtainCode(app, config, { query })
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  const refused: Array<[string, string, string?]> = [
    ['another path on a loopback port', 'http://127.0.0.1:51004/other'],
    ['a longer path on a loopback port', 'http://127.0.0.1:51004/callback/x'],
    ['an extra query on a loopback port', 'http://127.0.0.1:51004/callback?x=1'],
    ['https instead of http', 'https://127.0.0.1:51004/callback'],
    ['another loopback address', 'http://127.0.0.2:51004/callback'],
    ['port 0', 'http://127.0.0.1:0/callback'],
    ['a port out of range', 'http://127.0.0.1:65536/callback'],
    ['userinfo that looks like a port', 'http://127.0.0.1:80@evil.example/callback'],
    ['localhost, which is not loopback for this rule (§8.3)', 'http://localhost:51004/callback'],
    ['a registered localhost URI with a port', 'http://localhost:51004/callback', LOCALHOST_CLIENT],
  ]
  for (const [name, uri, clientId] of refused) {
    it(`${name}: HTML 400 page, never a redirect`, async () => {
      await expectRefusedPage(uri, clientId)
    })
  }

  it('a registered localhost URI matches exactly', async () => {
    const { query } = nativeQuery('http://localhost/callback', LOCALHOST_CLIENT)
    const { params } = await obtainCode(app, config, { query })
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('the built-in clients keep exact matching: another port is refused', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config, { redirect_uri: 'http://localhost:3001/authenticated' })}`,
    })
    expect(res.statusCode).toBe(400)
  })
})

describe('the token endpoint compares redirect_uri with the one used, port included (RFC 6749 §4.1.3)', () => {
  async function codeFor(redirectUri: string) {
    const { query, verifier } = nativeQuery(redirectUri)
    const { params } = await obtainCode(app, config, { query })
    return { code: params.get('code')!, verifier }
  }
  const redeem = (code: string, verifier: string, redirectUri: string) =>
    postForm(app, '/token', {
      grant_type: 'authorization_code',
      client_id: NATIVE,
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    })

  it('accepts the redirect_uri with its port', async () => {
    const { code, verifier } = await codeFor('http://127.0.0.1:49152/callback')
    const res = await redeem(code, verifier, 'http://127.0.0.1:49152/callback')
    expect(res.statusCode).toBe(200)
    expect(res.json().access_token).toBeTruthy()
  })

  it('refuses the registered URI without the port, or another port', async () => {
    for (const other of ['http://127.0.0.1/callback', 'http://127.0.0.1:49153/callback']) {
      const { code, verifier } = await codeFor('http://127.0.0.1:49152/callback')
      const res = await redeem(code, verifier, other)
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('invalid_grant')
    }
  })
})

describe('private-use URI schemes (RFC 8252 §7.1)', () => {
  it('a public client registered with one gets its code there', async () => {
    const { query } = nativeQuery(`${APP_SCHEME}:/callback`, APP_SCHEME_CLIENT)
    const { res, params } = await obtainCode(app, config, { query, remember: false })
    expect(res.statusCode).toBe(303)
    expect((res.headers.location as string).startsWith(`${APP_SCHEME}:/callback?`)).toBe(true)
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(params.get('state')).toBe('state-123')
  })

  it('another scheme, or the same scheme with another path, is refused', async () => {
    await expectRefusedPage('com.example.other:/callback', APP_SCHEME_CLIENT)
    await expectRefusedPage(`${APP_SCHEME}:/other`, APP_SCHEME_CLIENT)
  })

  describe('refused at start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-native-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    function problems(clients: unknown[]): string[] {
      const file = join(dir, `${clients.length}-${Math.random().toString(36).slice(2)}.json`)
      writeFileSync(file, JSON.stringify({ clients }))
      try {
        loadConfig({}, { file })
      } catch (error) {
        if (error instanceof ConfigError) return configErrorLines(error).map((line) => line.replace(file, '<file>'))
        throw error
      }
      throw new Error('loaded without error')
    }

    it('for a confidential client, with the path in the config file', () => {
      const lines = problems([
        { clientId: 'oauth-client-1', clientSecret: 's', redirectUris: ['http://localhost:3000/authenticated'] },
        { clientId: 'app', clientSecret: 's', redirectUris: ['http://127.0.0.1/cb', `${APP_SCHEME}:/callback`] },
      ])
      expect(lines).toEqual([
        'oauth-lab: configuration error in <file> at /clients/1/redirectUris/1: a private-use scheme is for native apps, which are public clients: this client has a clientSecret (RFC 8252 sections 7.1 and 8.4)',
      ])
    })

    it('for any client, a scheme that is not a reverse domain name (javascript:, myapp:)', () => {
      const lines = problems([
        { clientId: 'oauth-client-1', clientSecret: 's', redirectUris: ['http://localhost:3000/authenticated'] },
        { clientId: 'app', redirectUris: ['javascript:alert(1)', 'myapp:/cb', `${APP_SCHEME}:/callback`] },
      ])
      expect(lines).toHaveLength(2)
      expect(lines[0]).toContain('at /clients/1/redirectUris/0: must be http, https or a private-use scheme')
      expect(lines[1]).toContain('at /clients/1/redirectUris/1: must be http, https or a private-use scheme')
    })
  })
})
