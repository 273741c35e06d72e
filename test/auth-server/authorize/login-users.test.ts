// The sign-in page names the lab's users as configured: the built-in ones by
// default, the file's (or startLab's) own when they replace them.

import { describe, expect, it } from 'vitest'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { usersHint } from '../../../src/auth-server/authorize/login.js'
import { loadConfig } from '../../../src/shared/config.js'
import { authorizeQuery, testAuthServer } from '../../helpers/auth-server.js'

async function loginPage(users?: readonly { username: string; password: string }[]) {
  const config = loadConfig(
    { LOG_LEVEL: 'silent' },
    users === undefined ? {} : { labOptions: { label: 'test', options: { users } } },
  )
  const app = await buildAuthServer(config, { logger: false })
  const res = await app.inject({ method: 'GET', url: `/authorize?${authorizeQuery(config)}` })
  await app.close()
  expect(res.statusCode).toBe(200)
  expect(res.body).toContain('name="password"')
  return res.body
}

describe('the sign-in page lists the configured users', () => {
  it('names alice and bob by default', async () => {
    const page = await loginPage()
    expect(page).toContain('Users of this lab: alice / alice-password and bob / bob-password.')
  })

  it('names the replacing users, and never alice or bob', async () => {
    const page = await loginPage([
      { username: 'carol', password: 'carol-secret' },
      { username: 'dave', password: 'dave-secret' },
    ])
    expect(page).toContain('Users of this lab: carol / carol-secret and dave / dave-secret.')
    expect(page).not.toContain('alice')
    expect(page).not.toContain('bob')
  })

  it('escapes what it shows (a username is config data, not HTML)', async () => {
    const page = await loginPage([{ username: '<b>eve</b>', password: 'p&q' }])
    expect(page).toContain('User of this lab: &lt;b&gt;eve&lt;/b&gt; / p&amp;q.')
    expect(page).not.toContain('<b>eve</b>')
  })

  it('names at most five users and says how many more there are', () => {
    const users = Array.from({ length: 7 }, (_, i) => ({ username: `u${i}`, password: `p${i}`, sub: `u${i}` }))
    expect(usersHint(users)).toBe('Users of this lab: u0 / p0, u1 / p1, u2 / p2, u3 / p3, u4 / p4 and 2 more.')
  })

  it('is the same page at /account/grants, where the configured users sign in too', async () => {
    const { app } = await testAuthServer()
    const res = await app.inject({ method: 'GET', url: '/account/grants' })
    await app.close()
    expect(res.body).toContain('alice / alice-password')
  })
})
