// Interoperability: panva's openid-client 6 drives the device authorization
// grant (RFC 8628) and pushed authorization requests (RFC 9126) against
// startLab(), through to a 200 at the resource server. The user's part of the
// device grant happens in headless Chromium on the verification page: type
// the code, sign in, Allow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import * as client from 'openid-client'
import { startLab, type Lab } from '../../src/index.js'
import { launchBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { authorizeInBrowser } from './authorize-in-browser.js'

const ALICE = { username: 'alice', password: 'alice-password' }
// The lab is plain http on localhost (README: no TLS).
const insecure = { execute: [client.allowInsecureRequests] }

let lab: Lab
let browser: LabBrowser

beforeAll(async () => {
  // A 1 s polling interval keeps the device's wait short; the rule is the same.
  lab = await startLab({ devicePollIntervalSeconds: 1 })
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await lab?.close()
})

async function fetchResource(accessToken: string) {
  return fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${accessToken}` } })
}

describe('the device authorization grant with openid-client', () => {
  it('initiates, the user approves in Chromium, the device polls its way to tokens and the resource', async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-public',
      undefined,
      client.None(),
      insecure,
    )
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${lab.urls.auth}/device_authorization`)
    const device = await client.initiateDeviceAuthorization(config, { scope: 'foo bar' })
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(device.interval).toBe(1)
    // The device polls while the user walks the pages.
    const polling = client.pollDeviceAuthorizationGrant(config, device)

    const page = await browser.context.newPage()
    await page.goto(device.verification_uri)
    await page.getByLabel('Code').fill(device.user_code.toLowerCase())
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'device-01-code.png'), fullPage: true })
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByLabel('Username').fill(ALICE.username)
    await page.getByLabel('Password').fill(ALICE.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Authorize OAuth Public Client' }).waitFor()
    expect(await page.content()).toContain(device.user_code)
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'device-02-consent.png'), fullPage: true })
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.getByText('You can return to your device').waitFor()
    await page.close()

    const tokens = await polling
    expect(tokens.scope).toBe('foo bar')
    expect(tokens.refresh_token).toBeTruthy()
    const resource = await fetchResource(tokens.access_token)
    expect(resource.status).toBe(200)
    expect(await resource.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-public' })
  })

  it('opens verification_uri_complete with the code filled in', async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-public',
      undefined,
      client.None(),
      insecure,
    )
    const device = await client.initiateDeviceAuthorization(config, { scope: 'foo' })
    const page = await browser.context.newPage()
    await page.goto(device.verification_uri_complete!)
    expect(await page.getByLabel('Code').inputValue()).toBe(device.user_code)
    await page.close()
  })
})

describe('pushed authorization requests with openid-client', () => {
  it('pushes, authorizes with the request_uri, redeems the code and calls the resource', async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-1',
      undefined,
      client.ClientSecretBasic('oauth-client-secret-1'),
      insecure,
    )
    expect(config.serverMetadata().pushed_authorization_request_endpoint).toBe(`${lab.urls.auth}/par`)
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: `${lab.urls.client}/authenticated`,
      scope: 'foo',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    })
    // Only client_id and request_uri travel through the browser (RFC 9126 §4).
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const callback = await authorizeInBrowser(httpBrowser(), url, ALICE)
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    })
    expect((await fetchResource(tokens.access_token)).status).toBe(200)

    // Replayed: the request_uri was used once; a page, never a redirect.
    const replay = await fetch(url, { redirect: 'manual' })
    expect(replay.status).toBe(400)
    expect(replay.headers.get('location')).toBeNull()
    expect(await replay.text()).toContain('already used')
  })

  it("refuses another client's request_uri with a page, never a redirect", async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-1',
      undefined,
      client.ClientSecretBasic('oauth-client-secret-1'),
      insecure,
    )
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: `${lab.urls.client}/authenticated`,
      scope: 'foo',
    })
    url.searchParams.set('client_id', 'oauth-client-public')
    const foreign = await fetch(url, { redirect: 'manual' })
    expect(foreign.status).toBe(400)
    expect(foreign.headers.get('location')).toBeNull()
    expect(await foreign.text()).toContain('another client')
  })
})

describe('an expired device code', () => {
  it('is expired_token to openid-client once the lab clock passes its lifetime', async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-public',
      undefined,
      client.None(),
      insecure,
    )
    const device = await client.initiateDeviceAuthorization(config, { scope: 'foo' })
    lab.clock.advance(601_000)
    await expect(client.pollDeviceAuthorizationGrant(config, device)).rejects.toMatchObject({ error: 'expired_token' })
  })
})
