// /userinfo refusals (OIDC Core §5.3.3, RFC 6750 §3): the challenge in
// WWW-Authenticate AND a JSON body that names the error, as the token
// endpoint's errors do.

import { describe, expect, it } from 'vitest'
import { obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { redeemCode } from '../../helpers/back-channel.js'

describe('GET /userinfo refused', () => {
  it('without a token: 401, a challenge without an error code (RFC 6750 §3.1), and error invalid_request in the body', async () => {
    const { app } = await testAuthServer()
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url: '/userinfo' })
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="oauth-lab"')
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) })
    }
    await app.close()
  })

  it('with a bad token: 401, error invalid_token in the challenge and in the body', async () => {
    const { app } = await testAuthServer()
    const res = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: 'Bearer not.a.token' } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"')
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) })
    await app.close()
  })

  it('with a token without openid: 403, error insufficient_scope in the body too', async () => {
    const { app, config } = await testAuthServer()
    const pkce = pkcePair()
    const { params } = await obtainCode(app, config, {
      query: { scope: 'foo', code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    })
    const tokens = (await redeemCode(app, config, params.get('code') ?? '', pkce.verifier)).json<{
      access_token: string
    }>()
    const res = await app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) })
    await app.close()
  })
})
