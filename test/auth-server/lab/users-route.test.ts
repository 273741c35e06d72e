// POST /_lab/users: a user added while the lab runs, checked like a config
// file's user, signs in with the form and gets their claims from userinfo.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import { expectOAuthError, tokensFor } from '../../helpers/back-channel.js'
import { adminAuthServer, labPost } from '../../helpers/lab-control.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await adminAuthServer())
})
afterAll(() => app.close())
afterEach(() => app.oauthLab.users.forgetAdded())

describe('POST /_lab/users', () => {
  it('adds a user who signs in with the form, with their claims in userinfo', async () => {
    const carol = { username: 'carol', password: 'carol-password', claims: { email: 'carol@example.test' } }
    const res = await labPost(app, '/_lab/users', carol)
    expect(res.statusCode).toBe(201)
    // The password is not sent back; sub defaults to the username.
    expect(res.json()).toEqual({ username: 'carol', sub: 'carol', claims: { email: 'carol@example.test' } })

    const tokens = await tokensFor(app, config, { username: 'carol', scope: 'openid email foo' })
    expect(decodeJwt(tokens.access_token).sub).toBe('carol')
    const info = await app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(info.json()).toEqual({ sub: 'carol', email: 'carol@example.test' })
  })

  it('gives the sub chosen, which /_lab/tokens then accepts', async () => {
    expect((await labPost(app, '/_lab/users', { username: 'dan', password: 'p', sub: 'user-42' })).statusCode).toBe(201)
    const minted = await labPost(app, '/_lab/tokens', { sub: 'user-42', client_id: 'oauth-client-1' })
    expect(minted.statusCode).toBe(200)
  })

  it.each([
    ['no password', { username: 'erin' }, /body must have required property 'password'/],
    ['claims as a string', { username: 'erin', password: 'p', claims: 'x' }, /body\/claims must be object/],
    [
      'a taken username',
      { username: 'alice', password: 'p', sub: 'alice-2' },
      /at \/username: duplicate username 'alice'/,
    ],
    ['a taken sub', { username: 'erin', password: 'p', sub: 'bob' }, /at \/sub: duplicate sub 'bob'/],
    ['a client id as sub', { username: 'oauth-client-1', password: 'p' }, /at \/username: .*RFC 9700 section 4.15.1/],
    [
      'a username over 200 characters',
      { username: 'e'.repeat(201), password: 'p' },
      /at \/username: must be at most 200/,
    ],
    [
      'claims over 8 KiB',
      { username: 'erin', password: 'p', claims: { x: 'x'.repeat(9000) } },
      /at \/claims: is \d+ bytes/,
    ],
    ['an unknown field', { username: 'erin', password: 'p', role: 'admin' }, /Unknown field: role/],
  ])('refuses %s with 400 naming where', async (_what, body, message) => {
    const res = await labPost(app, '/_lab/users', body)
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json().error_description).toMatch(message)
    expect(app.oauthLab.users.all().map((u) => u.username)).toEqual(['alice', 'bob'])
  })

  it('needs the lab key (401)', async () => {
    expect((await labPost(app, '/_lab/users', { username: 'erin', password: 'p' }, null)).statusCode).toBe(401)
    expect(app.oauthLab.users.byUsername('erin')).toBeUndefined()
  })
})
