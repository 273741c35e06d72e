// POST /_lab/keys/rotate: publishFirst puts the next keys in /jwks while the
// current ones go on signing; a second call (or promote) switches.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeProtectedHeader } from 'jose'
import { confidential, expectOAuthError, postForm } from '../../helpers/back-channel.js'
import { adminAuthServer, labPost } from '../../helpers/lab-control.js'

let app: FastifyInstance

beforeAll(async () => {
  ;({ app } = await adminAuthServer())
})
afterAll(() => app.close())

const kids = async () =>
  (await app.inject({ method: 'GET', url: '/jwks' })).json<{ keys: Array<{ kid: string }> }>().keys.map((k) => k.kid)
const signingKid = async () => {
  const res = await postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)
  return decodeProtectedHeader(res.json<{ access_token: string }>().access_token).kid
}

describe('POST /_lab/keys/rotate', () => {
  it('publishFirst: the next key is published at once, signs only after the second call', async () => {
    const before = await signingKid()
    const first = await labPost(app, '/_lab/keys/rotate', { publishFirst: true })
    expect(first.statusCode).toBe(200)
    const { kid, next, keys } = first.json<{ kid: string; next: string; keys: string[] }>()
    expect(kid).toBe(before)
    expect(next).not.toBe(before)
    expect(await kids()).toEqual(keys)
    expect(keys).toContain(next)
    expect(await signingKid()).toBe(before)

    const second = await labPost(app, '/_lab/keys/rotate', { publishFirst: true })
    expect(second.json()).toMatchObject({ kid: next })
    expect(second.json().next).toBeUndefined()
    expect(await signingKid()).toBe(next)
    expect(await kids()).toContain(before) // the old key stays published for the tokens it signed
  })

  it('promote switches to the waiting key; with none waiting it is 400', async () => {
    const { next } = (await labPost(app, '/_lab/keys/rotate', { publishFirst: true })).json<{ next: string }>()
    expect((await labPost(app, '/_lab/keys/rotate', { promote: true })).json()).toMatchObject({ kid: next })
    expect(await signingKid()).toBe(next)
    const again = await labPost(app, '/_lab/keys/rotate', { promote: true })
    expectOAuthError(again, 400, 'invalid_request')
    expect(again.json().error_description).toMatch(/no next key is waiting/)
  })

  it('without a body (or {}): a new key signs at once, as the rotate-keys scenario does', async () => {
    const before = await signingKid()
    const res = await app.inject({
      method: 'POST',
      url: '/_lab/keys/rotate',
      headers: { authorization: `Bearer ${app.oauthLab.config.labKey}` },
    })
    expect(res.statusCode).toBe(200)
    const { kid } = res.json<{ kid: string }>()
    expect(kid).not.toBe(before)
    expect(await signingKid()).toBe(kid)
    expect((await kids()).slice(3)).toContain(before)
  })

  it.each([
    ['a string', { publishFirst: 'yes' }, /publishFirst must be boolean/],
    ['an unknown field', { alg: 'RS256' }, /Unknown field: alg/],
  ])('refuses %s with 400', async (_what, body, message) => {
    const before = await signingKid()
    const res = await labPost(app, '/_lab/keys/rotate', body)
    expectOAuthError(res, 400, 'invalid_request')
    expect(res.json().error_description).toMatch(message)
    expect(await signingKid()).toBe(before)
  })

  it('needs the lab key (401)', async () => {
    const before = await kids()
    expect((await labPost(app, '/_lab/keys/rotate', { publishFirst: true }, null)).statusCode).toBe(401)
    expect(await kids()).toEqual(before)
  })
})
