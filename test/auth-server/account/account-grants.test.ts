// GET /account/grants, revoking a remembered decision, and signing out.

import { describe, expect, it } from 'vitest'
import { authorizeQuery, obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { redeemCode, refresh } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser } from '../../helpers/inject-browser.js'

describe('GET /account/grants', () => {
  it('asks an anonymous visitor to sign in, then shows the page', async () => {
    const { app } = await testAuthServer()
    const browser = injectBrowser(app)
    const page = await browser.get('/account/grants')
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('name="password"')
    expect(page.body).toContain('Sign in to the authorization server.')
    const login = await browser.postForm('/login', {
      _csrf: hiddenField(page.body, '_csrf'),
      interaction: hiddenField(page.body, 'interaction'),
      username: 'bob',
      password: 'bob-password',
    })
    expect(login.statusCode).toBe(303)
    expect(login.headers.location).toBe('/account/grants')
    const grants = await browser.get('/account/grants')
    expect(grants.statusCode).toBe(200)
    expect(grants.body).toContain('Signed in as <strong>bob</strong>')
    expect(grants.body).toContain('No remembered decisions.')
    expect(grants.headers['x-frame-options']).toBe('DENY')
    await app.close()
  })

  it('lists each remembered decision with client, scopes and when', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config, { query: { scope: 'foo' } })
    const page = await browser.get('/account/grants')
    expect(page.body).toContain('OAuth Client 1')
    expect(page.body).toContain('<code>oauth-client-1</code>')
    expect(page.body).toMatch(/<code title="[^"]+">foo<\/code>/)
    expect(page.body).not.toMatch(/>bar<\/code>/)
    expect(page.body).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/)
    // Told truthfully: a JWT checked by the resource server itself outlives its revocation.
    expect(page.body).toMatch(/<p class="muted" id="revocation-note">[^<]*accepts them until they expire/)
    expect(page.body).not.toContain('seed')
    await app.close()
  })

  it('revoking a decision makes the next authorization ask again and kills its refresh tokens', async () => {
    const { app, config } = await testAuthServer()
    const pkce = pkcePair()
    const { browser, params } = await obtainCode(app, config, {
      query: { code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    })
    const tokens = await redeemCode(app, config, params.get('code')!, pkce.verifier)
    const refreshToken = tokens.json().refresh_token as string
    // Remembered: no consent.
    expect((await browser.get(`/authorize?${authorizeQuery(config)}`)).statusCode).toBe(302)

    const page = await browser.get('/account/grants')
    const revoked = await browser.postForm('/account/grants/revoke', {
      _csrf: hiddenField(page.body, '_csrf'),
      client_id: 'oauth-client-1',
    })
    expect(revoked.statusCode).toBe(303)
    expect(revoked.headers.location).toBe('/account/grants')
    expect((await browser.get('/account/grants')).body).toContain('No remembered decisions.')

    const again = await browser.get(`/authorize?${authorizeQuery(config)}`)
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('name="decision"')

    const refreshed = await refresh(app, refreshToken)
    expect(refreshed.statusCode).toBe(400)
    expect(refreshed.json().error).toBe('invalid_grant')
    await app.close()
  })

  it('revoking needs the CSRF token', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    const res = await browser.postForm('/account/grants/revoke', { client_id: 'oauth-client-1' })
    expect(res.statusCode).toBe(403)
    expect((await browser.get(`/authorize?${authorizeQuery(config)}`)).statusCode).toBe(302)
    await app.close()
  })
})

describe('POST /logout', () => {
  it('ends the session: the next authorization asks to sign in again', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    const page = await browser.get('/account/grants')
    const out = await browser.postForm('/logout', { _csrf: hiddenField(page.body, '_csrf') })
    expect(out.statusCode).toBe(200)
    expect(out.body).toContain('Signed out')
    expect(out.headers.location).toBeUndefined()
    const next = await browser.get(`/authorize?${authorizeQuery(config)}`)
    expect(next.statusCode).toBe(200)
    expect(next.body).toContain('name="password"')
    await app.close()
  })

  it('refuses a sign-out without the CSRF token', async () => {
    const { app, config } = await testAuthServer()
    const { browser } = await obtainCode(app, config)
    expect((await browser.postForm('/logout', {})).statusCode).toBe(403)
    expect((await browser.get(`/authorize?${authorizeQuery(config)}`)).statusCode).toBe(302)
    await app.close()
  })
})
