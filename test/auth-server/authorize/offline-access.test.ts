// offline_access (OpenID Connect Core §11): with openid, for a client that may
// use refresh tokens, named on the consent page, and it brings a refresh
// token; refused for a client without the refresh_token grant; ignored
// outside an OpenID request.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { OFFLINE_ACCESS } from '../../../src/auth-server/authorize/validate-request.js'
import type { LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, authServerWithClients, obtainCode, pkcePair } from '../../helpers/auth-server.js'
import { CLIENT_BASIC, postForm } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser, locationParams } from '../../helpers/inject-browser.js'

const NO_REFRESH = 'no-refresh-client'
let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await authServerWithClients('offline-access test', [
    {
      clientId: NO_REFRESH,
      clientSecret: 'no-refresh-secret',
      redirectUris: ['http://localhost:3000/authenticated'],
      scopes: ['foo'],
      grantTypes: ['authorization_code'],
    },
  ]))
})
afterAll(() => app.close())

async function consentPage(scope: string, username = 'alice') {
  const browser = injectBrowser(app)
  const login = await browser.get(`/authorize?${authorizeQuery(config, { scope })}`)
  const signedIn = await browser.postForm('/login', {
    _csrf: hiddenField(login.body, '_csrf'),
    interaction: hiddenField(login.body, 'interaction'),
    username,
    password: `${username}-password`,
  })
  return browser.get(signedIn.headers.location as string)
}

async function tokensFor(scope: string) {
  const { verifier, challenge } = pkcePair()
  const { params } = await obtainCode(app, config, {
    query: { scope, code_challenge: challenge, code_challenge_method: 'S256' },
    remember: false,
  })
  const res = await postForm(
    app,
    '/token',
    {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: 'http://localhost:3000/authenticated',
      code_verifier: verifier,
    },
    { headers: { authorization: CLIENT_BASIC } },
  )
  expect(res.statusCode).toBe(200)
  return res.json<{ access_token: string; refresh_token?: string; scope: string; id_token?: string }>()
}

describe('offline_access with openid', () => {
  it('the consent page names it with what it means', async () => {
    const page = await consentPage('openid foo offline_access')
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain(`<code>offline_access</code>: ${OFFLINE_ACCESS.description}`)
    expect(OFFLINE_ACCESS.description).toMatch(/refresh token/)
  })

  it('brings a refresh token, and the scope says so', async () => {
    const tokens = await tokensFor('openid foo offline_access')
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(tokens.scope).toBe('openid foo offline_access')
    expect(tokens.id_token).toBeTruthy()
    const refreshed = await postForm(
      app,
      '/token',
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
      { headers: { authorization: CLIENT_BASIC } },
    )
    expect(refreshed.statusCode).toBe(200)
    expect(refreshed.json().scope).toBe('openid foo offline_access')
  })

  it('is refused as invalid_scope for a client without the refresh_token grant', async () => {
    const url = `/authorize?${authorizeQuery(config, { client_id: NO_REFRESH, scope: 'openid foo offline_access' })}`
    const res = await app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(302)
    expect(locationParams(res).get('error')).toBe('invalid_scope')
    expect(locationParams(res).get('error_description')).toContain('refresh_token')
    expect(locationParams(res).get('state')).toBe('state-123')
  })

  it('a remembered decision without it does not cover it: consent asks again (OIDC Core §11)', async () => {
    const { browser } = await obtainCode(app, config, { query: { scope: 'openid foo' } })
    const again = await browser.get(`/authorize?${authorizeQuery(config, { scope: 'openid foo offline_access' })}`)
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('<code>offline_access</code>')
  })
})

describe('offline_access without openid', () => {
  it('is ignored, not refused: no error, not on the consent page, not granted', async () => {
    const page = await consentPage('foo offline_access', 'bob')
    expect(page.statusCode).toBe(200)
    expect(page.body).not.toContain('offline_access')
    const tokens = await tokensFor('foo offline_access')
    expect(tokens.scope).toBe('foo')
  })

  it('is ignored for a client without the refresh grant too', async () => {
    const url = `/authorize?${authorizeQuery(config, { client_id: NO_REFRESH, scope: 'foo offline_access' })}`
    const res = await app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('name="password"')
  })
})
