// POST /_lab/next-token-claims: claims added to the next access token issued, once.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import { MAX_ONCE_HOOKS } from '../../../src/auth-server/lab/hooks.js'
import { labPowersOf } from '../../../src/auth-server/lab/register-lab.js'
import { confidential, expectOAuthError, postForm } from '../../helpers/back-channel.js'
import { adminAuthServer, labPost } from '../../helpers/lab-control.js'

let app: FastifyInstance

beforeAll(async () => {
  ;({ app } = await adminAuthServer())
})
afterAll(() => app.close())
afterEach(() => labPowersOf(app).once.clear())

const nextToken = async () => {
  const res = await postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)
  expect(res.statusCode).toBe(200)
  return decodeJwt(res.json<{ access_token: string }>().access_token)
}

describe('POST /_lab/next-token-claims', () => {
  it('adds the claims to the next access token only, in the order they were sent', async () => {
    expect((await labPost(app, '/_lab/next-token-claims', { claims: { tenant: 't1' } })).json()).toEqual({ pending: 1 })
    expect((await labPost(app, '/_lab/next-token-claims', { claims: { aud: 'other' } })).json()).toEqual({ pending: 2 })
    expect(await nextToken()).toMatchObject({ tenant: 't1', aud: app.oauthLab.config.resource.publicUrl })
    const second = await nextToken()
    expect(second).toMatchObject({ aud: 'other' }) // a test of a resource server that must refuse it
    expect(second.tenant).toBeUndefined()
    const third = await nextToken()
    expect(third.aud).toBe(app.oauthLab.config.resource.publicUrl)
  })

  it.each([
    ['no claims', {}, /claims/],
    ['claims as an array', { claims: [1] }, /claims must be object/],
    ['a jti', { claims: { jti: 'mine' } }, /jti: the server sets it/],
    ['claims over 8 KiB', { claims: { x: 'x'.repeat(9000) } }, /at most 8192/],
    ['an unknown field', { claims: {}, once: true }, /Unknown field: once/],
  ])('refuses %s with 400', async (_what, body, message) => {
    const res = await labPost(app, '/_lab/next-token-claims', body)
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json().error_description).toMatch(message)
    expect(labPowersOf(app).once.pending().beforeTokenSigning).toBe(0)
  })

  it(`keeps at most ${MAX_ONCE_HOOKS} waiting`, async () => {
    for (let i = 0; i < MAX_ONCE_HOOKS; i++) labPowersOf(app).once.once('beforeTokenSigning', () => undefined)
    expectOAuthError(await labPost(app, '/_lab/next-token-claims', { claims: { a: 1 } }), 400, 'invalid_request')
  })

  it('needs the lab key (401)', async () => {
    expect((await labPost(app, '/_lab/next-token-claims', { claims: { a: 1 } }, null)).statusCode).toBe(401)
    expect(labPowersOf(app).once.pending().beforeTokenSigning).toBe(0)
  })
})
