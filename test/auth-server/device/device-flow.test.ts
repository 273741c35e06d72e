// The device authorization grant (RFC 8628) over inject(): POST
// /device_authorization, the verification page with sign-in and the shared
// consent page, and the device_code grant's polling answers at /token.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import { authServerWithClients, testAuthServer, type TestClock } from '../../helpers/auth-server.js'
import { CLIENT_BASIC, PUBLIC_CLIENT, expectOAuthError, postForm } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser, type InjectBrowser } from '../../helpers/inject-browser.js'

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await testAuthServer())
})
afterAll(() => app.close())

interface DeviceAuthorization {
  device_code: string
  user_code: string
  verification_uri: string
  verification_uri_complete: string
  expires_in: number
  interval: number
}

async function startDevice(form: Record<string, string> = {}, target = app): Promise<DeviceAuthorization> {
  const res = await postForm(target, '/device_authorization', { client_id: PUBLIC_CLIENT, ...form })
  expect(res.statusCode).toBe(200)
  return res.json<DeviceAuthorization>()
}

function poll(deviceCode: string, clientId = PUBLIC_CLIENT, target = app) {
  return postForm(target, '/token', { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId })
}

/** The verification page as a user walks it: enter the code, sign in, reach the consent page. */
async function enterCode(browser: InjectBrowser, userCode: string, username = 'alice') {
  const page = await browser.get('/device')
  let res = await browser.postForm('/device', { _csrf: hiddenField(page.body, '_csrf'), user_code: userCode })
  if (res.statusCode === 200 && res.body.includes('name="password"')) {
    res = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username,
      password: `${username}-password`,
    })
    expect(res.statusCode).toBe(303)
    res = await browser.get(res.headers.location as string)
  }
  return res
}

async function decide(browser: InjectBrowser, consentPage: string, decision: 'allow' | 'deny', remember = true) {
  const form: Record<string, string> = {
    _csrf: hiddenField(consentPage, '_csrf'),
    interaction: hiddenField(consentPage, 'interaction'),
    decision,
  }
  if (remember) form.remember = 'on'
  return browser.postForm('/consent', form)
}

describe('POST /device_authorization (RFC 8628 §3.1-3.2)', () => {
  it('answers the device code, a typeable user code, the verification URIs, expires_in 600 and interval 5', async () => {
    const res = await postForm(app, '/device_authorization', { client_id: PUBLIC_CLIENT, scope: 'foo' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json<DeviceAuthorization>()
    expect(Object.keys(body).sort()).toEqual([
      'device_code',
      'expires_in',
      'interval',
      'user_code',
      'verification_uri',
      'verification_uri_complete',
    ])
    // RFC 8628 §5.2: as much entropy as a code: 43 characters of 64 symbols (258 bits >= 160).
    expect(body.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // RFC 8628 §6.1: 8 consonants, shown with a dash.
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(body.verification_uri).toBe(`${config.auth.publicUrl}/device`)
    expect(body.verification_uri_complete).toBe(`${config.auth.publicUrl}/device?user_code=${body.user_code}`)
    expect(body.expires_in).toBe(600)
    expect(body.interval).toBe(5)
  })

  it('authenticates confidential clients as the token endpoint does, and refuses a client not registered for the grant', async () => {
    expectOAuthError(await postForm(app, '/device_authorization', { client_id: 'nobody' }), 401, 'invalid_client')
    const wrong = await postForm(
      app,
      '/device_authorization',
      {},
      { headers: { authorization: 'Basic b2F1dGgtY2xpZW50LTE6bm8=' } },
    )
    expectOAuthError(wrong, 401, 'invalid_client')
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /)
    // oauth-client-1 is confidential and not registered for the device grant.
    const res = await postForm(app, '/device_authorization', {}, { headers: { authorization: CLIENT_BASIC } })
    expectOAuthError(res, 400, 'unauthorized_client')
  })

  it('lets a confidential client registered for the grant in with its secret only', async () => {
    const { app: other } = await authServerWithClients('device test', [
      {
        clientId: 'tv-app',
        clientSecret: 'tv-app-secret',
        scopes: ['foo'],
        grantTypes: [DEVICE_GRANT],
      },
    ])
    try {
      const basicTv = `Basic ${Buffer.from('tv-app:tv-app-secret').toString('base64')}`
      const ok = await postForm(
        other,
        '/device_authorization',
        { scope: 'foo' },
        { headers: { authorization: basicTv } },
      )
      expect(ok.statusCode).toBe(200)
      expectOAuthError(await postForm(other, '/device_authorization', { client_id: 'tv-app' }), 401, 'invalid_client')
      // A device code is bound to its client (RFC 8628 §3.4): another client's is invalid_grant.
      const foreign = await postForm(
        other,
        '/token',
        { grant_type: DEVICE_GRANT, device_code: ok.json<DeviceAuthorization>().device_code },
        { form: { client_id: PUBLIC_CLIENT } },
      )
      expectOAuthError(foreign, 400, 'invalid_grant')
    } finally {
      await other.close()
    }
  })

  it('checks scope as /authorize does: none means the registered ones, others are invalid_scope', async () => {
    const none = await startDevice()
    expect(none.user_code).toBeTruthy()
    expectOAuthError(
      await postForm(app, '/device_authorization', { client_id: PUBLIC_CLIENT, scope: 'foo admin' }),
      400,
      'invalid_scope',
    )
  })

  it('takes form bodies only, never JSON, and no repeated parameters', async () => {
    const json = await app.inject({
      method: 'POST',
      url: '/device_authorization',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ client_id: PUBLIC_CLIENT }),
    })
    expectOAuthError(json, 400, 'invalid_request')
    const repeated = await app.inject({
      method: 'POST',
      url: '/device_authorization',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'client_id=oauth-client-public&scope=foo&scope=bar',
    })
    expectOAuthError(repeated, 400, 'invalid_request')
  })
})

describe('the verification page and the polling answers (RFC 8628 §3.3-3.5)', () => {
  it('walks code, sign-in, consent, then the device gets tokens once', async () => {
    const device = await startDevice({ scope: 'foo bar' })
    expectOAuthError(await poll(device.device_code), 400, 'authorization_pending')
    const browser = injectBrowser(app)
    // Without case or dash, as the user may type it.
    const consent = await enterCode(browser, device.user_code.replace('-', '').toLowerCase())
    expect(consent.statusCode).toBe(200)
    expect(consent.body).toContain('OAuth Public Client')
    expect(consent.body).toContain(device.user_code)
    expect(consent.body).toContain('name="decision" value="allow"')
    clock.advance(5_000)
    expectOAuthError(await poll(device.device_code), 400, 'authorization_pending')
    const done = await decide(browser, consent.body, 'allow', false)
    expect(done.statusCode).toBe(200)
    expect(done.body).toContain('You can return to your device')
    clock.advance(5_000)
    const tokens = await poll(device.device_code)
    expect(tokens.statusCode).toBe(200)
    const body = tokens.json<{ access_token: string; refresh_token?: string; scope: string }>()
    expect(body.scope).toBe('foo bar')
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: 'alice', client_id: PUBLIC_CLIENT, scope: 'foo bar' })
    // Once only: the device code is consumed.
    clock.advance(5_000)
    expectOAuthError(await poll(device.device_code), 400, 'invalid_grant')
  })

  it('adds an ID token when openid was granted (OIDC Core §3.1.3.3, as for the code flow)', async () => {
    const device = await startDevice({ scope: 'openid foo' })
    const browser = injectBrowser(app)
    const consent = await enterCode(browser, device.user_code)
    await decide(browser, consent.body, 'allow', false)
    const body = (await poll(device.device_code)).json<{ id_token?: string }>()
    expect(decodeJwt(body.id_token ?? '')).toMatchObject({ sub: 'alice', aud: PUBLIC_CLIENT })
  })

  it('pre-fills the code from verification_uri_complete, with the Code field and Continue button', async () => {
    const device = await startDevice()
    const res = await app.inject({ method: 'GET', url: `/device?user_code=${device.user_code}` })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('<label for="user_code">Code</label>')
    expect(res.body).toContain(`name="user_code" value="${device.user_code}"`)
    expect(res.body).toContain('>Continue</button>')
  })

  it('shows the consent page even when a remembered decision covers the scopes (RFC 8628 §5.4)', async () => {
    const browser = injectBrowser(app)
    const first = await startDevice({ scope: 'foo' })
    const consent = await enterCode(browser, first.user_code, 'bob')
    await decide(browser, consent.body, 'allow', true)
    const second = await startDevice({ scope: 'foo' })
    const again = await enterCode(browser, second.user_code, 'bob')
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain('name="decision" value="allow"')
    // The remembered decision is listed, as one from the browser flow.
    expect((await browser.get('/account/grants')).body).toContain(PUBLIC_CLIENT)
  })

  it('answers access_denied after Deny', async () => {
    const device = await startDevice()
    const browser = injectBrowser(app)
    const consent = await enterCode(browser, device.user_code)
    const done = await decide(browser, consent.body, 'deny')
    expect(done.statusCode).toBe(200)
    expect(done.body).toContain('You can return to your device')
    expectOAuthError(await poll(device.device_code), 400, 'access_denied')
  })

  it('answers slow_down to a poll sooner than the interval, and the interval grows by 5 s (RFC 8628 §3.5)', async () => {
    const device = await startDevice()
    expectOAuthError(await poll(device.device_code), 400, 'authorization_pending')
    clock.advance(1_000)
    expectOAuthError(await poll(device.device_code), 400, 'slow_down')
    // Now 10 s: 6 s later is still too fast.
    clock.advance(6_000)
    expectOAuthError(await poll(device.device_code), 400, 'slow_down')
    // 15 s now.
    clock.advance(15_000)
    expectOAuthError(await poll(device.device_code), 400, 'authorization_pending')
  })

  it('answers expired_token once the device code has expired, and the page refuses its user code', async () => {
    const device = await startDevice()
    clock.advance(601_000)
    expectOAuthError(await poll(device.device_code), 400, 'expired_token')
    const res = await enterCode(injectBrowser(app), device.user_code)
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('not valid, or it has expired')
  })

  it("refuses another client's device code and an unknown one as invalid_grant", async () => {
    const device = await startDevice()
    const other = await postForm(
      app,
      '/token',
      { grant_type: DEVICE_GRANT, device_code: device.device_code },
      { headers: { authorization: CLIENT_BASIC } },
    )
    // oauth-client-1 is not registered for the grant at all.
    expectOAuthError(other, 400, 'unauthorized_client')
    expectOAuthError(await poll('no-such-device-code'), 400, 'invalid_grant')
    expectOAuthError(
      await postForm(app, '/token', { grant_type: DEVICE_GRANT, client_id: PUBLIC_CLIENT }),
      400,
      'invalid_request',
    )
  })

  it('rate-limits wrong codes per session with a clear 429 message (RFC 8628 §5.1)', async () => {
    const device = await startDevice()
    const browser = injectBrowser(app)
    const page = await browser.get('/device')
    const csrf = hiddenField(page.body, '_csrf')
    for (let i = 0; i < 5; i++) {
      const wrong = await browser.postForm('/device', { _csrf: csrf, user_code: 'BBBB-BBBB' })
      expect(wrong.statusCode).toBe(400)
    }
    // Even the right code is not checked now.
    const limited = await browser.postForm('/device', { _csrf: csrf, user_code: device.user_code })
    expect(limited.statusCode).toBe(429)
    expect(limited.body).toContain('Too many wrong codes')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // Another browser is not limited by this one.
    expect((await enterCode(injectBrowser(app), device.user_code)).statusCode).toBe(200)
  })

  it('refuses a form without its CSRF token', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/device',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'user_code=BCDF-GHJK',
    })
    expect(res.statusCode).toBe(403)
  })
})

describe('the settings and the remembered decision', () => {
  it('reads the lifetime and the interval from DEVICE_CODE_TTL_SECONDS and DEVICE_POLL_INTERVAL_SECONDS', async () => {
    const { app: tuned, clock: tunedClock } = await testAuthServer({
      DEVICE_CODE_TTL_SECONDS: '120',
      DEVICE_POLL_INTERVAL_SECONDS: '2',
    })
    try {
      const device = await startDevice({}, tuned)
      expect([device.expires_in, device.interval]).toEqual([120, 2])
      expectOAuthError(await poll(device.device_code, PUBLIC_CLIENT, tuned), 400, 'authorization_pending')
      tunedClock.advance(2_000)
      expectOAuthError(await poll(device.device_code, PUBLIC_CLIENT, tuned), 400, 'authorization_pending')
      tunedClock.advance(119_000)
      expectOAuthError(await poll(device.device_code, PUBLIC_CLIENT, tuned), 400, 'expired_token')
    } finally {
      await tuned.close()
    }
  })

  it("withdrawing the remembered decision stops the device's refresh token (RFC 9700 §4.14.2)", async () => {
    const device = await startDevice({ scope: 'foo' })
    const browser = injectBrowser(app)
    const consent = await enterCode(browser, device.user_code, 'bob')
    await decide(browser, consent.body, 'allow', true)
    const { refresh_token: refreshToken } = (await poll(device.device_code)).json<{ refresh_token: string }>()
    const grants = await browser.get('/account/grants')
    const revoked = await browser.postForm('/account/grants/revoke', {
      _csrf: hiddenField(grants.body, '_csrf'),
      client_id: PUBLIC_CLIENT,
    })
    expect(revoked.statusCode).toBe(303)
    const refreshed = await postForm(app, '/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: PUBLIC_CLIENT,
    })
    expectOAuthError(refreshed, 400, 'invalid_grant')
  })
})

describe('the global limit on wrong codes (RFC 8628 §5.1)', () => {
  it('stops every session after 50 wrong codes a minute, fresh cookies or not', async () => {
    const { app: fresh } = await testAuthServer()
    try {
      const device = await startDevice({}, fresh)
      let last = 0
      for (let i = 0; i < 60; i++) {
        const res = await enterCode(injectBrowser(fresh), 'CCCC-CCCC')
        last = res.statusCode
        if (last === 429) break
      }
      expect(last).toBe(429)
      expect((await enterCode(injectBrowser(fresh), device.user_code)).statusCode).toBe(429)
    } finally {
      await fresh.close()
    }
  })
})
