// POST /_lab/learners (WORKSHOP=on): a lab user per learner, behind the lab
// key; username from the display name (slug + two digits), unique, sub =
// username, a typeable random password that signs in; at most 200 learners.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { MAX_ADDED_USERS } from '../../../src/auth-server/account/user-directory.js'
import { MAX_LEARNERS, slugOf } from '../../../src/auth-server/lab/learners-route.js'
import { loadConfig, type LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, pkcePair } from '../../helpers/auth-server.js'
import {
  expectOAuthError,
  isActive,
  redeemCode,
  refresh,
  tokensFor,
  type TokenBody,
} from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser, locationParams } from '../../helpers/inject-browser.js'
import { LAB_KEY, labPost } from '../../helpers/lab-control.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  config = loadConfig({ LOG_LEVEL: 'silent', WORKSHOP: 'on', LAB_KEY })
  app = await buildAuthServer(config, { logger: false })
})
afterAll(() => app.close())
afterEach(() => app.oauthLab.users.forgetAdded())

interface Created {
  readonly username: string
  readonly sub: string
  readonly password: string
}

describe('POST /_lab/learners', () => {
  it('makes a user from the display name, with a random password that signs in', async () => {
    const res = await labPost(app, '/_lab/learners', { name: 'Ada Lovelace' })
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const created = res.json<Created>()
    expect(created.username).toMatch(/^ada-lovelace-\d{2}$/)
    expect(created.sub).toBe(created.username)
    expect(created.password).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/)

    const user = app.oauthLab.users.byUsername(created.username)
    expect(user?.password).toBe(created.password)
    // Signs in at step 2 with that password, and only with it.
    for (const [password, status] of [
      ['wrong-password', 401],
      [created.password, 303],
    ] as const) {
      const browser = injectBrowser(app)
      const page = await browser.get(`/authorize?${authorizeQuery(config)}`)
      const res = await browser.postForm('/login', {
        _csrf: hiddenField(page.body, '_csrf'),
        interaction: hiddenField(page.body, 'interaction'),
        username: created.username,
        password,
      })
      expect(res.statusCode).toBe(status)
      // The sign-in page's hint names the configured users only: a learner's password is theirs alone.
      expect(page.body).toContain('alice / alice-password')
      expect(page.body).not.toContain(created.password)
      expect(page.body).not.toContain(created.username)
    }
  })

  it('gives each learner of the same name a different username and password', async () => {
    const made = []
    for (let i = 0; i < 5; i++) made.push((await labPost(app, '/_lab/learners', { name: 'Ada' })).json<Created>())
    expect(new Set(made.map((m) => m.username)).size).toBe(5)
    expect(new Set(made.map((m) => m.password)).size).toBe(5)
    for (const m of made) expect(m.username).toMatch(/^ada-\d{2}$/)
  })

  it('slugs any name to lowercase letters, digits and dashes', () => {
    expect(slugOf('  Émile Zola! ')).toBe('emile-zola')
    expect(slugOf('李雷')).toBe('learner')
    expect(slugOf('<script>alert(1)</script>')).toBe('script-alert-1-scri')
    expect(slugOf('a'.repeat(40))).toHaveLength(20)
  })

  it('needs the lab key: 401 with a Bearer challenge, and no user made', async () => {
    for (const key of [null, 'not-the-lab-key-0123456789']) {
      const res = await labPost(app, '/_lab/learners', { name: 'Mallory' }, key)
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="oauth-lab"')
      expect(res.json()).toMatchObject({ error: 'lab_key_required' })
    }
    expect(app.oauthLab.users.all().some((u) => u.username.startsWith('mallory'))).toBe(false)
  })

  it('refuses a body without a name, with an empty or too long one, or with other fields (400)', async () => {
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(41) }, { name: 'Ada', password: 'mine' }, []]) {
      expectOAuthError(await labPost(app, '/_lab/learners', body), 400, 'invalid_request')
    }
    expect(app.oauthLab.users.all()).toHaveLength(config.users.length)
  })

  it(`stops at ${MAX_LEARNERS} learners (409), and counts again after the users are forgotten`, async () => {
    let first = ''
    for (let i = 0; i < MAX_LEARNERS; i++) {
      const res = await labPost(app, '/_lab/learners', { name: `Learner ${i}` })
      expect(res.statusCode).toBe(201)
      if (i === 0) first = res.json<Created>().username
    }
    const full = await labPost(app, '/_lab/learners', { name: 'One too many' })
    expectOAuthError(full, 409, 'invalid_request')
    expect(full.json<{ error_description: string }>().error_description).toContain('full')
    // The teacher's reset starts a new count and removes the learners' users; only with the key.
    const unkeyed = await app.inject({ method: 'DELETE', url: '/_lab/learners' })
    expect(unkeyed.statusCode).toBe(401)
    const reset = await app.inject({
      method: 'DELETE',
      url: '/_lab/learners',
      headers: { authorization: `Bearer ${LAB_KEY}` },
    })
    expect(reset.json()).toEqual({ forgotten: MAX_LEARNERS })
    expect(app.oauthLab.users.byUsername(first)).toBeUndefined()
    expect((await labPost(app, '/_lab/learners', { name: 'Next session' })).statusCode).toBe(201)
    // Forgotten users (lab.reset()) no longer count either.
    for (let i = 0; i < MAX_LEARNERS - 1; i++) await labPost(app, '/_lab/learners', { name: `Again ${i}` })
    expectOAuthError(await labPost(app, '/_lab/learners', { name: 'Full again' }), 409, 'invalid_request')
    app.oauthLab.users.forgetAdded()
    expect((await labPost(app, '/_lab/learners', { name: 'Fresh start' })).statusCode).toBe(201)
  })

  it('reset removes each learner\u2019s user, remembered decisions and tokens; alice is untouched', async () => {
    const learner = (await labPost(app, '/_lab/learners', { name: 'Ada' })).json<Created>()
    const browser = injectBrowser(app)
    const signIn = (page: string, as = browser) =>
      as.postForm('/login', {
        _csrf: hiddenField(page, '_csrf'),
        interaction: hiddenField(page, 'interaction'),
        username: learner.username,
        password: learner.password,
      })
    const pkce = pkcePair()
    const query = authorizeQuery(config, { code_challenge: pkce.challenge, code_challenge_method: 'S256' })
    const login = await browser.get(`/authorize?${query}`)
    const signedIn = await signIn(login.body)
    expect(signedIn.statusCode).toBe(303)
    const consent = await browser.get(signedIn.headers.location as string)
    const allowed = await browser.postForm('/consent', {
      _csrf: hiddenField(consent.body, '_csrf'),
      interaction: hiddenField(consent.body, 'interaction'),
      decision: 'allow',
      remember: 'on',
    })
    const code = locationParams(allowed).get('code') ?? ''
    const tokens = (await redeemCode(app, config, code, pkce.verifier)).json<TokenBody>()
    expect(tokens.refresh_token).toBeDefined()
    expect(app.oauthLab.store.findGrant(learner.sub, 'oauth-client-1')).toBeDefined()
    const alice = await tokensFor(app, config)

    const reset = await app.inject({
      method: 'DELETE',
      url: '/_lab/learners',
      headers: { authorization: `Bearer ${LAB_KEY}` },
    })
    expect(reset.statusCode).toBe(200)
    expect(app.oauthLab.users.byUsername(learner.username)).toBeUndefined()
    expect(app.oauthLab.store.findGrant(learner.sub, 'oauth-client-1')).toBeUndefined()
    expectOAuthError(await refresh(app, tokens.refresh_token ?? ''), 400, 'invalid_grant')
    expect(await isActive(app, tokens.access_token)).toBe(false)
    // The learner's own browser, still signed in, is asked to sign in again, and cannot.
    const again = await browser.get(`/authorize?${authorizeQuery(config)}`)
    expect(again.body).toContain('name="password"')
    expect((await signIn(again.body)).statusCode).toBe(401)
    // Nor can a fresh browser.
    const fresh = injectBrowser(app)
    expect((await signIn((await fresh.get(`/authorize?${authorizeQuery(config)}`)).body, fresh)).statusCode).toBe(401)
    // alice keeps her tokens and signs in as before.
    expect(await isActive(app, alice.access_token)).toBe(true)
    expect((await refresh(app, alice.refresh_token ?? '')).statusCode).toBe(200)
    expect((await tokensFor(app, config)).access_token).toBeDefined()
  })

  it('answers 409, never a 5xx, once the directory takes no more users', async () => {
    for (let i = 0; i < MAX_ADDED_USERS; i++)
      app.oauthLab.users.add({ username: `filler-${i}`, password: 'p' }, () => false, 'test')
    expectOAuthError(await labPost(app, '/_lab/learners', { name: 'Ada' }), 409, 'invalid_request')
  })
})

describe('outside workshop mode', () => {
  it('has no /_lab/learners (404), even with the lab key', async () => {
    const plain = await buildAuthServer(loadConfig({ LOG_LEVEL: 'silent', LAB_KEY }), { logger: false })
    try {
      expect((await labPost(plain, '/_lab/learners', { name: 'Ada' })).statusCode).toBe(404)
    } finally {
      await plain.close()
    }
  })
})
