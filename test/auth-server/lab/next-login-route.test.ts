// POST /_lab/next-login: the next sign-in that would show the login page signs
// the chosen user in instead, once, with extra claims in that login's access
// token, ID token and userinfo.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import { labPowersOf } from '../../../src/auth-server/lab/register-lab.js'
import type { LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, obtainCode, pkcePair, type TestClock } from '../../helpers/auth-server.js'
import { expectOAuthError, redeemCode } from '../../helpers/back-channel.js'
import { injectBrowser } from '../../helpers/inject-browser.js'
import { adminAuthServer, labPost } from '../../helpers/lab-control.js'

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  ;({ app, config, clock } = await adminAuthServer())
})
afterAll(() => app.close())
afterEach(() => labPowersOf(app).nextLogin.clear())

/** Steps 1-6 with openid: the token response, from a fresh browser unless one is given. */
async function flow(browser = injectBrowser(app), query: Record<string, string> = {}) {
  const pkce = pkcePair()
  const { params, res } = await obtainCode(app, config, {
    browser,
    query: {
      scope: 'openid profile email foo',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...query,
    },
  })
  const code = params.get('code')
  if (!code) throw new Error(`no code: ${res.statusCode}`)
  const tokens = await redeemCode(app, config, code, pkce.verifier)
  expect(tokens.statusCode).toBe(200)
  return tokens.json<{ access_token: string; id_token: string }>()
}

const userinfo = (token: string) =>
  app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${token}` } })

describe('POST /_lab/next-login', () => {
  it('signs the chosen user in once, with the extra claims in the access token, ID token and userinfo', async () => {
    const claims = { email: 'bob@next.test', roles: ['admin'], tenant: 't-1' }
    const armed = await labPost(app, '/_lab/next-login', { username: 'bob', claims })
    expect(armed.statusCode).toBe(200)
    expect(armed.json()).toEqual({ nextLogin: { username: 'bob', claims } })

    // No login page: obtainCode would have signed in as alice.
    const tokens = await flow()
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'bob', roles: ['admin'], tenant: 't-1' })
    expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: 'bob', email: 'bob@next.test', roles: ['admin'] })
    const info = await userinfo(tokens.access_token)
    expect(info.json()).toEqual({
      sub: 'bob',
      name: 'Bob Builder',
      given_name: 'Bob',
      family_name: 'Builder',
      email: 'bob@next.test', // the login's claim over bob's own
      email_verified: true,
      roles: ['admin'],
      tenant: 't-1',
    })

    // Once: the next browser signs in as usual (alice), with her own claims only.
    const again = await flow()
    expect(decodeJwt(again.access_token)).toMatchObject({ sub: 'alice' })
    expect(decodeJwt(again.access_token).roles).toBeUndefined()
    expect((await userinfo(again.access_token)).json()).toMatchObject({ sub: 'alice', email: 'alice@example.test' })
  })

  it('waits while the browser is signed in, and is used once its sign-in is older than max_age', async () => {
    const browser = injectBrowser(app)
    await flow(browser) // alice signs in with the form
    expect((await labPost(app, '/_lab/next-login', { username: 'bob' })).statusCode).toBe(200)
    expect(decodeJwt((await flow(browser)).access_token).sub).toBe('alice') // no login page: not used
    // prompt=login shows the page whoever is signed in (as with AUTO_LOGIN): the form decides, and it waits on.
    expect(decodeJwt((await flow(browser, { prompt: 'login' })).access_token).sub).toBe('alice')
    expect(labPowersOf(app).nextLogin.armed()).toEqual({ username: 'bob' })
    clock.advance(2_000)
    expect(decodeJwt((await flow(browser, { max_age: '1' })).access_token).sub).toBe('bob')
    expect(labPowersOf(app).nextLogin.armed()).toBeNull()
  })

  it('prompt=none shows no page: it answers login_required and leaves the next login armed', async () => {
    await labPost(app, '/_lab/next-login', { username: 'bob' })
    const res = await injectBrowser(app).get(`/authorize?${authorizeQuery(config, { prompt: 'none' })}`)
    expect(new URL(res.headers.location as string).searchParams.get('error')).toBe('login_required')
    expect(labPowersOf(app).nextLogin.armed()).toEqual({ username: 'bob' })
  })

  it.each([
    ['an unknown user', { username: 'mallory' }, /no user is named 'mallory'/],
    ['no username', {}, /username/],
    ['claims as a string', { username: 'bob', claims: 'admin' }, /claims must be object/],
    ['claims as an array', { username: 'bob', claims: ['admin'] }, /claims must be object/],
    ["a token's own claim", { username: 'bob', claims: { sub: 'alice' } }, /sub belong to the tokens/],
    ['claims over 8 KiB', { username: 'bob', claims: { blob: 'x'.repeat(9000) } }, /at most 8192/],
    ['an unknown field', { username: 'bob', password: 'x' }, /Unknown field: password/],
    ['an array', '[1]', /must be a JSON object/],
  ])('refuses %s with 400 and a clear message', async (_what, body, message) => {
    const res = await labPost(app, '/_lab/next-login', body)
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json().error_description).toMatch(message)
    expect(labPowersOf(app).nextLogin.armed()).toBeNull()
  })

  it('needs the lab key (401) and JSON (415)', async () => {
    expect((await labPost(app, '/_lab/next-login', { username: 'bob' }, null)).statusCode).toBe(401)
    expect((await labPost(app, '/_lab/next-login', { username: 'bob' }, 'wrong-key-0123456789012345')).statusCode).toBe(
      401,
    )
    const form = await app.inject({
      method: 'POST',
      url: '/_lab/next-login',
      headers: { authorization: `Bearer ${config.labKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=bob',
    })
    expect(form.statusCode).toBe(415)
    expect(labPowersOf(app).nextLogin.armed()).toBeNull()
  })
})
