import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, jwtVerify, errors } from 'jose'
import { testAuthServer } from '../../helpers/auth-server.js'

describe('POST /_lab/tokens (lab only)', () => {
  it('mints a signed RFC 9068 token with the given subject, client, scope and lifetime', async () => {
    const { app, clock } = await testAuthServer()
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      payload: { sub: 'alice', client_id: 'oauth-client-1', scope: 'bar', expires_in: 120 },
    })
    expect(res.statusCode).toBe(200)
    const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/jwks' })).json())
    const { payload, protectedHeader } = await jwtVerify(res.json().access_token, jwks, {
      currentDate: new Date(clock.now()),
    })
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: 'oauth-client-1',
      scope: 'bar',
      iss: 'http://localhost:9001',
      aud: 'http://localhost:9002',
    })
    expect(payload.exp! - payload.iat!).toBe(120)
    await app.close()
  })

  it('can mint an already expired token', async () => {
    const { app, clock } = await testAuthServer()
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      payload: { sub: 'alice', client_id: 'oauth-client-1', expires_in: -60 },
    })
    const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/jwks' })).json())
    await expect(
      jwtVerify(res.json().access_token, jwks, { currentDate: new Date(clock.now()) }),
    ).rejects.toBeInstanceOf(errors.JWTExpired)
    await app.close()
  })

  it('refuses an unknown client and bad input with a JSON 400', async () => {
    const { app } = await testAuthServer()
    const unknown = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      payload: { sub: 'alice', client_id: 'nobody' },
    })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().error).toBe('invalid_request')
    const bad = await app.inject({ method: 'POST', url: '/_lab/tokens', payload: { sub: 'alice' } })
    expect(bad.statusCode).toBe(400)
    await app.close()
  })

  it('does not exist when the inspector is off', async () => {
    const { app } = await testAuthServer({ INSPECTOR: 'off' })
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/tokens',
      payload: { sub: 'alice', client_id: 'oauth-client-1' },
    })
    expect(res.statusCode).toBe(404)
    await app.close()
  })
})
