// POST /_lab/device/expire: a lab power behind the lab key, JSON only, that
// ends one device code's lifetime now, so its device hears expired_token
// (RFC 8628 §3.5) without a real wait.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { DEVICE_CODE_GRANT } from '../../../src/shared/enumerations.js'
import type { LabConfig } from '../../../src/shared/config.js'
import { testAuthServer } from '../../helpers/auth-server.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

const keyed = () => ({ authorization: `Bearer ${config.labKey}` })

async function deviceCode(): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/device_authorization',
    payload: 'client_id=oauth-client-public&scope=foo',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  expect(res.statusCode).toBe(200)
  return res.json<{ device_code: string }>().device_code
}

function poll(code: string) {
  return app.inject({
    method: 'POST',
    url: '/token',
    payload: new URLSearchParams({
      grant_type: DEVICE_CODE_GRANT,
      device_code: code,
      client_id: 'oauth-client-public',
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
}

describe('POST /_lab/device/expire (lab only)', () => {
  it('expires the device code at once: the next poll is 400 expired_token', async () => {
    const code = await deviceCode()
    expect((await poll(code)).json()).toMatchObject({ error: 'authorization_pending' })
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/device/expire',
      payload: { device_code: code },
      headers: keyed(),
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ expired: true })
    const after = await poll(code)
    expect(after.statusCode).toBe(400)
    expect(after.json()).toMatchObject({ error: 'expired_token' })
  })

  it('needs the lab key, takes JSON only, and answers 404 for an unknown device code', async () => {
    const code = await deviceCode()
    const noKey = await app.inject({ method: 'POST', url: '/_lab/device/expire', payload: { device_code: code } })
    expect(noKey.statusCode).toBe(401)
    const form = await app.inject({
      method: 'POST',
      url: '/_lab/device/expire',
      payload: `device_code=${code}`,
      headers: { ...keyed(), 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.statusCode).toBe(415)
    const unknown = await app.inject({
      method: 'POST',
      url: '/_lab/device/expire',
      payload: { device_code: 'no-such-code' },
      headers: keyed(),
    })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ error: 'invalid_request' })
    // Nothing of it changed the live code.
    expect((await poll(code)).json()).toMatchObject({ error: 'authorization_pending' })
  })
})
