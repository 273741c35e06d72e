import { describe, expect, it } from 'vitest'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { testAuthServer } from '../../helpers/auth-server.js'
import { confidential, introspect, postForm } from '../../helpers/back-channel.js'

describe('SIGNING_ALG', () => {
  for (const [alg, kty] of [
    ['ES256', 'EC'],
    ['RS256', 'RSA'],
    ['EdDSA', 'OKP'],
  ] as const) {
    it(`${alg}: tokens are signed with it and verify against /jwks`, async () => {
      const { app, clock } = await testAuthServer({ SIGNING_ALG: alg })
      const jwks = (await app.inject({ method: 'GET', url: '/jwks' })).json()
      expect(jwks.keys[0]).toMatchObject({ kty, alg })
      const res = await postForm(app, '/token', { grant_type: 'client_credentials' }, confidential)
      const token = res.json().access_token as string
      expect(decodeProtectedHeader(token).alg).toBe(alg)
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        typ: 'at+jwt',
        currentDate: new Date(clock.now()),
      })
      expect(payload.sub).toBe('oauth-client-1')
      // Introspection verifies with the same key, whatever the algorithm.
      const introspection = await introspect(app, token)
      expect(introspection.json().active).toBe(true)
      await app.close()
    })
  }
})
