import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import helmet from 'helmet'
import { afterAll, describe, expect, it } from 'vitest'
import { helmetHeaders } from '../../src/shared/security-headers.js'
import { basic, testAuthServer } from '../helpers/auth-server.js'

const OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  strictTransportSecurity: false,
}

describe('helmetHeaders', () => {
  let server: Server | undefined
  afterAll(() => server?.close())

  it('are exactly the headers helmet itself sets on a real response', async () => {
    const middleware = helmet(OPTIONS)
    server = createServer((req, res) => middleware(req, res, () => res.end('ok')))
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const transport = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding'])
    const real: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      if (!transport.has(name)) real[name] = value
    })
    expect(helmetHeaders(OPTIONS)).toEqual(real)
    expect(real['content-security-policy']).toBe("default-src 'self';frame-ancestors 'none'")
  })
})

describe('security headers on the authorization server (RFC 9700 §4.16, §4.2.4)', () => {
  it('every page carries them, the JSON back channel does not', async () => {
    const { app } = await testAuthServer()
    const page = await app.inject({
      method: 'GET',
      url: '/authorize?response_type=code&client_id=oauth-client-1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
    })
    expect(page.statusCode).toBe(200)
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    const notFound = await app.inject({ method: 'GET', url: '/no-such-page' })
    expect(notFound.headers['x-frame-options']).toBe('DENY')
    const token = await app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        authorization: basic('oauth-client-1', 'oauth-client-secret-1'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    })
    expect(token.statusCode).toBe(200)
    expect(token.headers['content-security-policy']).toBeUndefined()
    expect(token.headers['x-frame-options']).toBeUndefined()
    expect(token.headers['cache-control']).toBe('no-store')
    await app.close()
  })
})
