// One-shot hooks: each runs for the next matching event only, after the
// standing hook of its name, then is gone.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { MAX_ONCE_HOOKS, type AuthServerHooks } from '../../../src/auth-server/lab/hooks.js'
import { labPowersOf } from '../../../src/auth-server/lab/register-lab.js'
import { loadConfig } from '../../../src/shared/config.js'
import { confidential, postForm } from '../../helpers/back-channel.js'

let app: FastifyInstance
const hooks: AuthServerHooks = {}

beforeAll(async () => {
  app = await buildAuthServer(loadConfig({ LOG_LEVEL: 'silent' }), { logger: false, hooks })
})
afterAll(() => app.close())
afterEach(() => {
  delete hooks.beforeTokenSigning
  labPowersOf(app).once.clear()
})

const token = () => postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)
const claimsOf = async () => decodeJwt((await token()).json<{ access_token: string }>().access_token)

describe('once', () => {
  it('beforeTokenSigning runs for the next access token only, after the standing hook', async () => {
    hooks.beforeTokenSigning = (claims) => ({ ...claims, standing: true, order: ['standing'] })
    labPowersOf(app).once.once('beforeTokenSigning', (claims) => ({
      ...claims,
      order: [...(claims.order as string[]), 'once'],
    }))
    expect(await claimsOf()).toMatchObject({ standing: true, order: ['standing', 'once'] })
    expect(await claimsOf()).toMatchObject({ standing: true, order: ['standing'] })
  })

  it('beforeResponse runs for the next intercepted response only', async () => {
    labPowersOf(app).once.once('beforeResponse', (response) => ({ ...response, status: 503 }))
    expect((await token()).statusCode).toBe(503)
    expect((await token()).statusCode).toBe(200)
  })

  it(`refuses more than ${MAX_ONCE_HOOKS} waiting, and unknown names`, () => {
    const { once } = labPowersOf(app)
    for (let i = 0; i < MAX_ONCE_HOOKS; i++) once.once('beforeIdTokenSigning', () => undefined)
    expect(() => once.once('beforeIdTokenSigning', () => undefined)).toThrow(RangeError)
    expect(() => once.once('afterSigning' as 'beforeResponse', () => undefined)).toThrow(/no hook is named/)
    expect(once.pending()).toEqual({ beforeTokenSigning: 0, beforeIdTokenSigning: MAX_ONCE_HOOKS, beforeResponse: 0 })
  })
})
