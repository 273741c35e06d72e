import { afterEach, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { csrfCheck, registerSessionWithCsrf } from '../../src/shared/session-csrf.js'
import { createExpiringSessionStore } from '../../src/shared/session-store.js'

declare module 'fastify' {
  interface Session {
    sessionCsrfTest?: number
  }
}

const SECRET = 'a-session-secret-of-at-least-32-characters'

async function appWith(cookieName: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await registerSessionWithCsrf(app, {
    cookieName,
    secret: SECRET,
    ttlSeconds: 600,
    store: createExpiringSessionStore(600_000, () => true),
  })
  app.get('/form', async (request, reply) => {
    request.session.sessionCsrfTest = 1
    return { csrf: reply.generateCsrf() }
  })
  app.post('/change', { preValidation: csrfCheck(app) }, async () => ({ changed: true }))
  await app.ready()
  return app
}

function first<T>(list: readonly T[] | undefined, what: string): T {
  const item = list?.[0]
  if (item === undefined) throw new Error(`expected at least one ${what}`)
  return item
}

describe('registerSessionWithCsrf', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => app?.close())

  it('sets the role’s own session cookie: HttpOnly, SameSite=Lax, Path=/, not Secure, with the TTL', async () => {
    app = await appWith('oauth_lab_test_sid')
    const res = await app.inject({ method: 'GET', url: '/form' })
    expect(res.statusCode).toBe(200)
    const setCookie = res.headers['set-cookie']
    const line = first(typeof setCookie === 'string' ? [setCookie] : setCookie, 'Set-Cookie')
    expect(line).toMatch(/^oauth_lab_test_sid=[^;]+/)
    expect(line).toMatch(/; HttpOnly/i)
    expect(line).toMatch(/; SameSite=Lax/i)
    expect(line).toMatch(/; Path=\//)
    expect(line).not.toMatch(/; Secure/i)
    expect(line).toMatch(/; Expires=/)
    // The session id is a 43-character random secret, signed.
    expect(line).toMatch(/^oauth_lab_test_sid=[A-Za-z0-9_-]{43}\./)
  })

  it('refuses a state-changing request without the session’s CSRF token, and accepts it with one', async () => {
    app = await appWith('oauth_lab_test_sid')
    const form = await app.inject({ method: 'GET', url: '/form' })
    const cookie = first(form.cookies, 'cookie')
    const { csrf } = form.json<{ csrf: string }>()
    const headers = { cookie: `${cookie.name}=${cookie.value}` }

    const without = await app.inject({ method: 'POST', url: '/change', headers })
    expect(without.statusCode).toBe(403)
    const wrong = await app.inject({ method: 'POST', url: '/change', headers: { ...headers, 'x-csrf-token': 'nope' } })
    expect(wrong.statusCode).toBe(403)
    const right = await app.inject({ method: 'POST', url: '/change', headers: { ...headers, 'x-csrf-token': csrf } })
    expect(right.statusCode).toBe(200)
    expect(right.json()).toEqual({ changed: true })
  })
})
