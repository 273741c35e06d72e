import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LAB_KEY_COOKIE, registerLabKey, requireLabKey } from '../../src/shared/lab-key.js'

const KEY = 'k'.repeat(43)

describe('the lab key', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    app = Fastify()
    registerLabKey(app, KEY)
    app.get('/_lab/power', { preHandler: requireLabKey }, async () => ({ secret: 'only for the key holder' }))
    app.get('/page', async (request) => ({ holder: request.labKeyHolder }))
    await app.ready()
  })
  afterAll(() => app.close())

  it('opens a power route to a script with Authorization: Bearer <key>', async () => {
    const res = await app.inject({ url: '/_lab/power', headers: { authorization: `Bearer ${KEY}` } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ secret: 'only for the key holder' })
  })

  it('refuses a script without the key or with another: 401, a Bearer challenge, nothing revealed', async () => {
    for (const headers of [{}, { authorization: `Bearer ${KEY}x` }, { authorization: `Basic ${KEY}` }]) {
      const res = await app.inject({ url: '/_lab/power', headers })
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer realm="oauth-lab"')
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.json()).toMatchObject({ error: 'lab_key_required' })
      expect(res.body).not.toContain('only for the key holder')
    }
  })

  it('shows a browser without the key a page saying how to get it', async () => {
    const res = await app.inject({ url: '/_lab/power', headers: { accept: 'text/html' } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('Lab key needed')
    expect(res.body).toContain('?lab_key=')
    expect(res.body).not.toContain(KEY)
  })

  it('turns ?lab_key= into an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const res = await app.inject({ url: `/page?x=1&lab_key=${KEY}` })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/page?x=1')
    expect(res.headers['set-cookie']).toBe(`${LAB_KEY_COOKIE}=${KEY}; Path=/; HttpOnly; SameSite=Strict`)
    const next = await app.inject({ url: '/page?x=1', headers: { cookie: `other=1; ${LAB_KEY_COOKIE}=${KEY}` } })
    expect(next.json()).toEqual({ holder: true })
  })

  it('sets no cookie for a wrong key in the address, and does not echo it', async () => {
    const res = await app.inject({ url: `/page?lab_key=wrong-${KEY}` })
    expect(res.statusCode).toBe(401)
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(res.body).not.toContain('wrong-')
  })

  it('is not a holder with a wrong cookie or none', async () => {
    expect((await app.inject({ url: '/page' })).json()).toEqual({ holder: false })
    const wrong = await app.inject({ url: '/page', headers: { cookie: `${LAB_KEY_COOKIE}=nope` } })
    expect(wrong.json()).toEqual({ holder: false })
  })
})
