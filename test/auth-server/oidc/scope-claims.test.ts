// OIDC Core §5.4: the user's claims, the custom ones of a config file among
// them, are released in the ID token and at /userinfo only for the scopes
// granted; a scope of the configuration names what it releases (`claims`).

import { describe, expect, it } from 'vitest'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { loadConfig } from '../../../src/shared/config.js'
import { obtainCode, pkcePair, testClock } from '../../helpers/auth-server.js'
import { redeemCode } from '../../helpers/back-channel.js'

const OPTIONS = {
  users: [
    {
      username: 'carol',
      password: 'carol-password',
      claims: {
        name: 'Carol Danvers',
        email: 'carol@example.test',
        email_verified: true,
        department: 'Research',
        // A user claim named like a protocol claim is never released in its place.
        sub: 'mallory',
        nbf: 4102444800,
      },
    },
  ],
  scopes: [
    { name: 'foo', description: 'Read your foo resource.' },
    { name: 'org', description: 'Your department.', claims: ['department', 'sub', 'nbf'] },
  ],
  clients: [
    {
      clientId: 'oauth-client-1',
      clientSecret: 'oauth-client-secret-1',
      redirectUris: ['http://localhost:3000/authenticated'],
      scopes: ['foo', 'org'],
    },
  ],
}

async function claimsFor(scope: string) {
  const config = loadConfig({ LOG_LEVEL: 'silent' }, { labOptions: { label: 'test', options: OPTIONS } })
  const clock = testClock(Date.now())
  const app = await buildAuthServer(config, { now: clock.now, logger: false })
  const pkce = pkcePair()
  const { params } = await obtainCode(app, config, {
    username: 'carol',
    query: { scope, nonce: 'n-1', code_challenge: pkce.challenge, code_challenge_method: 'S256' },
  })
  const res = await redeemCode(app, config, params.get('code') ?? '', pkce.verifier)
  expect(res.statusCode).toBe(200)
  const tokens = res.json<{ access_token: string; id_token: string }>()
  const idToken = JSON.parse(Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
  const userinfo = await app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${tokens.access_token}` },
  })
  expect(userinfo.statusCode).toBe(200)
  await app.close()
  return { idToken, userinfo: userinfo.json<Record<string, unknown>>() }
}

describe('claims released by scope', () => {
  it('openid email: the email claims, not the department', async () => {
    const { idToken, userinfo } = await claimsFor('openid email foo')
    expect(userinfo).toEqual({ sub: 'carol', email: 'carol@example.test', email_verified: true })
    expect(idToken).toMatchObject({ sub: 'carol', email: 'carol@example.test', email_verified: true })
    for (const claims of [idToken, userinfo]) {
      expect(claims).not.toHaveProperty('department')
      expect(claims).not.toHaveProperty('name')
    }
  })

  it('openid org: the department, which the scope names, and nothing else of the user', async () => {
    const { idToken, userinfo } = await claimsFor('openid org foo')
    expect(userinfo).toEqual({ sub: 'carol', department: 'Research' })
    expect(idToken).toMatchObject({ sub: 'carol', department: 'Research' })
    expect(idToken).not.toHaveProperty('email')
    // The protocol's claims stay the protocol's.
    expect(idToken.nbf).toBeUndefined()
  })

  it('openid alone: sub, and no claim of the user', async () => {
    const { idToken, userinfo } = await claimsFor('openid foo')
    expect(userinfo).toEqual({ sub: 'carol' })
    for (const name of ['email', 'department', 'name']) expect(idToken).not.toHaveProperty(name)
  })

  it('profile and org together: each releases its own', async () => {
    const { userinfo } = await claimsFor('openid profile org foo')
    expect(userinfo).toEqual({ sub: 'carol', name: 'Carol Danvers', department: 'Research' })
  })
})

describe('a scope with claims in a config', () => {
  it('must list strings', () => {
    const bad = { scopes: [{ name: 'foo', description: 'x', claims: [1] }] }
    expect(() => loadConfig({}, { labOptions: { label: 'startLab options', options: bad } })).toThrow(
      /scopes\/0\/claims\/0: must be a string/,
    )
  })
})
