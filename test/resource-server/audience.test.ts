// The resource server refuses a token meant for another resource server (RFC
// 8707, RFC 9068 §4, RFC 9700 §2.3), in both check modes: tokens from the
// lab's own authorization server, minted with lab.issueToken and issued by
// /token, for the MCP server's identifier instead of the built-in one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import { createTokenChecker, verifyToken } from '../../src/resource-server/verify-token.js'
import { startLab, type Lab } from '../../src/lab.js'
import type { TokenCheck } from '../../src/shared/enumerations.js'

const CLIENT_BASIC = `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`

describe.each<TokenCheck>(['jwt', 'introspect'])('tokenCheck %s', (tokenCheck) => {
  let lab: Lab
  let mcp: string
  beforeAll(async () => {
    lab = await startLab({
      tokenCheck,
      extraClients: [
        {
          clientId: 'opaque-app',
          clientSecret: 'opaque-secret',
          scopes: ['foo'],
          grantTypes: ['client_credentials'],
          accessTokenFormat: 'opaque',
        },
      ],
    })
    mcp = `${lab.urls.resource}/mcp`
  })
  afterAll(() => lab.close())

  const callResource = (token: string) =>
    fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${token}` } })

  async function expectAudienceRefused(token: string) {
    const res = await callResource(token)
    expect(res.status).toBe(401)
    const description = `the access token is not meant for ${lab.urls.resource} (aud)`
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="oauth-lab", error="invalid_token", error_description="${description}"`,
    )
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: description })
  }

  async function clientCredentials(basic: string, resource?: string) {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'foo' })
    if (resource !== undefined) form.set('resource', resource)
    const res = await fetch(`${lab.urls.auth}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { access_token: string }).access_token
  }

  it('accepts a token for its own identifier, the default', async () => {
    expect((await callResource(await lab.issueToken({ sub: 'alice', scope: 'foo' }))).status).toBe(200)
    const own = await lab.issueToken({ sub: 'alice', scope: 'foo', resource: lab.urls.resource })
    expect((await callResource(own)).status).toBe(200)
    expect((await callResource(await clientCredentials(CLIENT_BASIC))).status).toBe(200)
  })

  it('refuses a token for the MCP server: 401 invalid_token naming the audience', async () => {
    await expectAudienceRefused(await lab.issueToken({ sub: 'alice', scope: 'foo', resource: mcp }))
    await expectAudienceRefused(await clientCredentials(CLIENT_BASIC, mcp))
  })

  it('another route can be its own resource server: it requires its own identifier', async () => {
    const app = Fastify({ logger: false })
    app.decorateRequest('accessToken', undefined)
    const checkToken = createTokenChecker(lab.config)
    app.get('/mcp', { preHandler: verifyToken(checkToken, mcp) }, async (request) => ({
      sub: request.accessToken?.sub,
    }))
    try {
      const call = async (resource?: string) => {
        const token = await lab.issueToken({ sub: 'alice', scope: 'foo', ...(resource ? { resource } : {}) })
        return app.inject({ method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` } })
      }
      const ok = await call(mcp)
      expect({ status: ok.statusCode, body: ok.json() }).toEqual({ status: 200, body: { sub: 'alice' } })
      const other = await call()
      expect(other.statusCode).toBe(401)
      expect(other.json()).toEqual({
        error: 'invalid_token',
        error_description: `the access token is not meant for ${mcp} (aud)`,
      })
    } finally {
      await app.close()
    }
  })

  it('refuses an opaque token for the MCP server (checked by introspection in both modes)', async () => {
    const basic = `Basic ${Buffer.from('opaque-app:opaque-secret').toString('base64')}`
    expect((await callResource(await clientCredentials(basic))).status).toBe(200)
    await expectAudienceRefused(await clientCredentials(basic, mcp))
  })
})

describe('lab.issueToken({ resource })', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startLab()
  })
  afterAll(() => lab.close())

  it('refuses a resource that is not registered', async () => {
    await expect(lab.issueToken({ sub: 'alice', resource: 'http://localhost:1/elsewhere' })).rejects.toThrow(
      'is not a registered resource server',
    )
    await expect(lab.issueToken({ sub: 'alice', resource: 'relative/path' })).rejects.toThrow('must be an absolute URI')
  })
})
