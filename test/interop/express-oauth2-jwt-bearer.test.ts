// Interoperability: an Express API protected by Auth0's express-oauth2-jwt-bearer
// (a third-party resource server library) accepts the lab's tokens issued for
// its own identifier (RFC 8707 `resource`) and refuses the lab's tokens for the
// built-in resource server: what a test engineer does with their own API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express, { type ErrorRequestHandler } from 'express'
import { auth, UnauthorizedError } from 'express-oauth2-jwt-bearer'
import * as oauth from 'oauth4webapi'
import { startLab, type Lab } from '../../src/lab.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { authorizeInBrowser } from './authorize-in-browser.js'

const insecure = { [oauth.allowInsecureRequests]: true } as const
const ALICE = { username: 'alice', password: 'alice-password' }
const CLIENT: oauth.Client = { client_id: 'oauth-client-1' }
const CLIENT_AUTH = oauth.ClientSecretBasic('oauth-client-secret-1')

let server: Server
let api: string
let lab: Lab
let as: oauth.AuthorizationServer

/** An Express app on 127.0.0.1:0; its API is protected once the lab's URLs are known. */
async function listenApi(): Promise<{ server: Server; base: string; protect: (lab: Lab, audience: string) => void }> {
  const app = express()
  let guard: express.RequestHandler | undefined
  app.use('/api', (req, res, next) => (guard ? guard(req, res, next) : next(new Error('not ready'))))
  app.get('/api', (req, res) => {
    res.json({ sub: req.auth?.payload.sub, aud: req.auth?.payload.aud })
  })
  const onError: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    if (!(err instanceof UnauthorizedError)) return next(err)
    res.status(err.status).set(err.headers).json({ error: err.message })
  }
  app.use(onError)
  const listening = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    listening.once('listening', resolve)
    listening.once('error', reject)
  })
  const { port } = listening.address() as AddressInfo
  return {
    server: listening,
    base: `http://127.0.0.1:${port}`,
    protect: (started, audience) => {
      guard = auth({
        issuer: started.config.auth.publicUrl,
        jwksUri: `${started.config.auth.publicUrl}/jwks`,
        audience,
        tokenSigningAlg: started.config.auth.signingAlg,
        // RFC 9068 §4: typ at+jwt required.
        strict: true,
      })
    },
  }
}

beforeAll(async () => {
  const started = await listenApi()
  server = started.server
  api = `${started.base}/api`
  lab = await startLab({ resources: [{ identifier: api, scopes: ['foo'], name: 'My API' }] })
  started.protect(lab, api)
  const issuer = new URL(lab.config.auth.publicUrl)
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  )
})
afterAll(async () => {
  await lab?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

/** The authorization code flow as a browser and a client do it, with `resource` at /authorize. */
async function accessTokenFor(resource?: string): Promise<string> {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const redirectUri = `${lab.config.client.publicUrl}/authenticated`
  const url = new URL(as.authorization_endpoint!)
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: CLIENT.client_id,
    redirect_uri: redirectUri,
    scope: 'foo',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(resource === undefined ? {} : { resource }),
  }
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  const callback = await authorizeInBrowser(httpBrowser(), url, ALICE)
  const callbackParams = oauth.validateAuthResponse(as, CLIENT, callback, state)
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    CLIENT,
    CLIENT_AUTH,
    callbackParams,
    redirectUri,
    verifier,
    insecure,
  )
  const tokens = await oauth.processAuthorizationCodeResponse(as, CLIENT, response)
  return tokens.access_token
}

const callApi = (token: string) => fetch(api, { headers: { authorization: `Bearer ${token}` } })

describe('an Express API behind express-oauth2-jwt-bearer, registered as a resource (RFC 8707)', () => {
  it('accepts a token from an authorization code flow with resource=<its identifier>: 200', async () => {
    const res = await callApi(await accessTokenFor(api))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', aud: api })
  })

  it('refuses a token for the built-in resource server: 401 invalid_token', async () => {
    const res = await callApi(await accessTokenFor())
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    // And the lab's own resource server refuses the token for the API.
    const builtin = await fetch(`${lab.urls.resource}/resource`, {
      headers: { authorization: `Bearer ${await accessTokenFor(api)}` },
    })
    expect(builtin.status).toBe(401)
  })
})
