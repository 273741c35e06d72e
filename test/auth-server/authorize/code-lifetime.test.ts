// The authorization code's lifetime (RFC 6749 §4.1.2): the configured 60 s for
// every request, except the lab's own client app asking for a longer one with
// lab_code_lifetime (step-through mode), granted up to 10 minutes and no more.
// Another client's lab_code_lifetime is an unknown parameter and changes nothing.

import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLab, type Lab } from '../../../src/index.js'

let lab: Lab

beforeAll(async () => {
  lab = await startLab({ loginAs: 'alice' })
})
afterAll(() => lab.close())

const CLIENTS = {
  'oauth-client-1': { secret: 'oauth-client-secret-1' },
  'oauth-client-public': { secret: undefined },
} as const
type ClientId = keyof typeof CLIENTS

/** A code from /authorize (alice is signed in and has consented), with its PKCE verifier. */
async function codeFor(clientId: ClientId, extra: Record<string, string>) {
  const verifier = randomBytes(32).toString('base64url')
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: `${lab.urls.client}/authenticated`,
    scope: 'foo',
    state: 'st',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  })
  const res = await fetch(`${lab.urls.auth}/authorize?${query}`, { redirect: 'manual' })
  expect(res.status).toBe(302)
  const code = new URL(res.headers.get('location')!).searchParams.get('code')
  if (!code) throw new Error(`no code: ${res.headers.get('location')}`)
  return { code, verifier }
}

/** The token endpoint's answer to that code, `afterSeconds` after it was issued. */
async function redeemAfter(clientId: ClientId, issued: { code: string; verifier: string }, afterSeconds: number) {
  lab.clock.advance(afterSeconds * 1000)
  try {
    const { secret } = CLIENTS[clientId]
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: issued.code,
      redirect_uri: `${lab.urls.client}/authenticated`,
      code_verifier: issued.verifier,
      ...(secret === undefined ? { client_id: clientId } : {}),
    })
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    if (secret !== undefined) headers.authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`
    const res = await fetch(`${lab.urls.auth}/token`, { method: 'POST', headers, body: form })
    return { status: res.status, body: (await res.json()) as { error?: string; access_token?: string } }
  } finally {
    lab.clock.advance(-afterSeconds * 1000)
  }
}

describe('the code lifetime', () => {
  it('is 60 s without lab_code_lifetime', async () => {
    expect((await redeemAfter('oauth-client-1', await codeFor('oauth-client-1', {}), 61)).body.error).toBe(
      'invalid_grant',
    )
    expect((await redeemAfter('oauth-client-1', await codeFor('oauth-client-1', {}), 55)).status).toBe(200)
  })

  it('is what the lab’s client app asks for, up to 10 minutes', async () => {
    const asked = { lab_code_lifetime: '300' }
    expect((await redeemAfter('oauth-client-1', await codeFor('oauth-client-1', asked), 290)).status).toBe(200)
    expect((await redeemAfter('oauth-client-1', await codeFor('oauth-client-1', asked), 310)).body.error).toBe(
      'invalid_grant',
    )
    // RFC 6749 §4.1.2: never beyond 10 minutes, whatever is asked.
    const tooLong = { lab_code_lifetime: '86400' }
    expect((await redeemAfter('oauth-client-1', await codeFor('oauth-client-1', tooLong), 590)).status).toBe(200)
    expect((await redeemAfter('oauth-client-1', await codeFor('oauth-client-1', tooLong), 610)).body.error).toBe(
      'invalid_grant',
    )
  })

  it('never shortens, and a value that is not a number of seconds is no request', async () => {
    for (const value of ['5', 'abc', '-1', '1e3']) {
      const issued = await codeFor('oauth-client-1', { lab_code_lifetime: value })
      expect((await redeemAfter('oauth-client-1', issued, 55)).status, value).toBe(200)
    }
    const issued = await codeFor('oauth-client-1', { lab_code_lifetime: 'abc' })
    expect((await redeemAfter('oauth-client-1', issued, 61)).body.error).toBe('invalid_grant')
  })

  it('stays 60 s for any other client that asks', async () => {
    const issued = await codeFor('oauth-client-public', { lab_code_lifetime: '600' })
    expect((await redeemAfter('oauth-client-public', issued, 61)).body.error).toBe('invalid_grant')
  })
})
