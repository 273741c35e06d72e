// Interoperability: an Express app signs its users in with passport and
// passport-oauth2's OAuth2Strategy (state and PKCE on), unmodified, against a
// started lab. A cookie-jar HTTP browser walks /login -> the lab's sign-in and
// consent forms -> the app's callback, where the strategy redeems the code
// (client_secret_post, as the `oauth` package it uses sends it), loads the
// profile from /userinfo and the app calls the resource with the token.
//
// express-session is not installed, and passport-oauth2's built-in state
// stores need a session. So the app passes its own `store` (the interface the
// strategy calls: store(req, verifier, state, meta, cb) and verify(req,
// state, cb)): an in-memory map from a per-browser cookie to the state handle
// and the PKCE verifier, so a state is only accepted from the browser that
// started the flow (RFC 6749 §10.12) and only once.

import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express, { type NextFunction, type Request, type Response } from 'express'
import passport from 'passport'
import OAuth2Strategy from 'passport-oauth2'
import type { OAuth2 } from 'oauth'
import { startLab, type Lab } from '../../src/index.js'
import { freePort } from '../helpers/free-port.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { authorizeInBrowser } from './authorize-in-browser.js'

const CLIENT_ID = 'express-passport-app'
const CLIENT_SECRET = 'express-passport-secret'
const BROWSER_COOKIE = 'rp_browser'
/** Pending flows kept at most (the oldest is forgotten first): memory stays bounded. */
const MAX_PENDING = 1000
const ALICE = { username: 'alice', password: 'alice-password' }

interface AppUser {
  readonly accessToken: string
  readonly refreshToken: string
  readonly profile: Record<string, unknown>
}

let lab: Lab
let server: Server
let appUrl: string
let strategy: OAuth2Strategy

/** The browser id from the app's cookie (set on first visit). */
function browserId(req: Request): string | undefined {
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim().split('=')) ?? []
  return cookies.find(([name]) => name === BROWSER_COOKIE)?.[1]
}

function identifyBrowser(req: Request, res: Response, next: NextFunction): void {
  if (!browserId(req)) {
    const id = randomBytes(32).toString('base64url')
    res.cookie(BROWSER_COOKIE, id, { httpOnly: true, sameSite: 'lax', path: '/' })
    req.headers.cookie = `${BROWSER_COOKIE}=${id}`
  }
  next()
}

/** passport-oauth2's state store interface, without a session: pending flows by browser. */
function browserBoundStateStore() {
  const pending = new Map<string, { handle: string; verifier: string }>()
  type Stored = (err: Error | null, handle?: string) => void
  type Verified = (err: Error | null, ok: string | false, info?: { message: string }) => void
  return {
    // Five parameters: the strategy passes the PKCE verifier (it counts them).
    store(req: Request, verifier: string, _state: unknown, _meta: unknown, callback: Stored): void {
      const id = browserId(req)
      if (!id) return callback(new Error('no browser id'))
      const handle = randomBytes(32).toString('base64url')
      pending.delete(id)
      pending.set(id, { handle, verifier })
      if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value!)
      callback(null, handle)
    },
    verify(req: Request, state: string, callback: Verified): void {
      const id = browserId(req)
      const entry = id === undefined ? undefined : pending.get(id)
      if (id !== undefined) pending.delete(id)
      if (!entry || entry.handle !== state) return callback(null, false, { message: 'Invalid state.' })
      // A string "ok" is the PKCE verifier the strategy sends with the code.
      callback(null, entry.verifier)
    },
  }
}

/** GET with the access token in the Authorization header (RFC 6750 §2.1), through the strategy's OAuth2 client. */
function oauthGet(oauth2: OAuth2, url: string, accessToken: string): Promise<string> {
  return new Promise((resolve, reject) =>
    oauth2.get(url, accessToken, (err, body) => (err ? reject(new Error(JSON.stringify(err))) : resolve(String(body)))),
  )
}

/** The strategy's own OAuth2 client (what passport-oauth2-refresh uses for the refresh grant). */
function oauth2Of(s: OAuth2Strategy): OAuth2 {
  return (s as unknown as { _oauth2: OAuth2 })._oauth2
}

function buildApp(labUrls: Lab['urls'], callbackURL: string): express.Express {
  strategy = new OAuth2Strategy(
    {
      authorizationURL: `${labUrls.auth}/authorize`,
      tokenURL: `${labUrls.auth}/token`,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL,
      scope: ['openid', 'profile', 'email', 'foo'],
      scopeSeparator: ' ',
      state: true,
      pkce: true,
      // Its arity (5) is what the strategy checks; the typings know only the session-less shapes.
      store: browserBoundStateStore() as unknown as OAuth2Strategy.StateStore,
    },
    (
      accessToken: string,
      refreshToken: string,
      profile: Record<string, unknown>,
      done: OAuth2Strategy.VerifyCallback,
    ) => done(null, { accessToken, refreshToken, profile }),
  )
  oauth2Of(strategy).useAuthorizationHeaderforGET(true)
  // The profile comes from OpenID Connect UserInfo (the strategy's hook for it).
  strategy.userProfile = (accessToken, done) => {
    oauthGet(oauth2Of(strategy), `${labUrls.auth}/userinfo`, accessToken).then(
      (body) => done(null, JSON.parse(body)),
      (err: unknown) => done(err),
    )
  }
  passport.use('lab', strategy)

  const app = express()
  app.use(identifyBrowser)
  app.use(passport.initialize())
  app.get('/login', passport.authenticate('lab', { session: false }))
  app.get('/callback', passport.authenticate('lab', { session: false }), (req, res, next) => {
    const user = req.user as AppUser
    fetch(`${labUrls.resource}/resource`, { headers: { authorization: `Bearer ${user.accessToken}` } })
      .then(async (r) =>
        res.json({
          resourceStatus: r.status,
          resource: (await r.json()) as unknown,
          profile: user.profile,
          accessToken: user.accessToken,
          refreshToken: user.refreshToken,
        }),
      )
      .catch(next)
  })
  return app
}

beforeAll(async () => {
  // The app's callback is registered with its port, so the port is chosen first.
  const port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  lab = await startLab({
    tokenCheck: 'introspect',
    extraClients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        name: 'Express + passport',
        redirectUris: [`${appUrl}/callback`],
        scopes: ['foo'],
      },
    ],
  })
  const app = buildApp(lab.urls, `${appUrl}/callback`)
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
})

afterAll(async () => {
  await lab?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

function introspect(token: string): Promise<unknown> {
  return fetch(`${lab.urls.auth}/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('oauth-resource-1:oauth-resource-secret-1').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  }).then((r) => r.json())
}

describe('passport-oauth2 in an Express app', () => {
  let refreshToken: string

  it('/login -> lab sign-in and consent -> /callback: code redeemed with PKCE, userinfo profile, resource 200', async () => {
    const browser = httpBrowser()
    const login = await browser.get(`${appUrl}/login`)
    expect(login.status).toBe(302)
    const authorize = new URL(browser.location(login))
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${lab.urls.auth}/authorize`)
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `${appUrl}/callback`,
      scope: 'openid profile email foo',
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    })

    const callback = await authorizeInBrowser(browser, authorize, ALICE)
    expect(`${callback.origin}${callback.pathname}`).toBe(`${appUrl}/callback`)
    const landed = await browser.get(callback.href)
    expect(landed.status).toBe(200)
    const body = JSON.parse(landed.body) as {
      resourceStatus: number
      resource: unknown
      profile: unknown
      refreshToken: string
    }
    expect(body.resourceStatus).toBe(200)
    expect(body.resource).toMatchObject({ resource: 'foo', sub: 'alice', client_id: CLIENT_ID })
    expect(body.profile).toMatchObject({ sub: 'alice', name: 'Alice Liddell', email: 'alice@example.test' })
    refreshToken = body.refreshToken

    // On the wire: client_secret_post and the PKCE verifier; the profile from userinfo with a Bearer header.
    const token = lab.requests().find((r) => r.server === 'auth-server' && r.url === '/token')
    const sent = Object.fromEntries(new URLSearchParams(token?.body))
    expect(sent).toMatchObject({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: `${appUrl}/callback`,
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    })
    const userinfo = lab.requests().find((r) => r.server === 'auth-server' && r.url === '/userinfo')
    expect(userinfo).toMatchObject({ method: 'GET', status: 200, headers: { authorization: expect.any(String) } })
  })

  it('the same callback in another browser, or with a forged state: 403, and the code is never sent to /token', async () => {
    const tokenRequests = () => lab.requests().filter((r) => r.url === '/token').length
    const before = tokenRequests()
    const browser = httpBrowser()
    const login = await browser.get(`${appUrl}/login`)
    const callback = await authorizeInBrowser(browser, browser.location(login), ALICE)
    const forged = new URL(callback)
    forged.searchParams.set('state', randomBytes(32).toString('base64url'))
    expect((await browser.get(forged.href)).status).toBe(403)
    // The store forgot the flow with the failed attempt: the genuine state is refused now too.
    expect((await browser.get(callback.href)).status).toBe(403)
    const attacker = httpBrowser()
    expect((await attacker.get(callback.href)).status).toBe(403)
    expect(tokenRequests()).toBe(before)
  })

  it("refresh through the strategy's OAuth2 client: a new access token, the refresh token rotated", async () => {
    const [accessToken, rotated] = await new Promise<[string | undefined, string | undefined]>((resolve, reject) =>
      oauth2Of(strategy).getOAuthAccessToken(refreshToken, { grant_type: 'refresh_token' }, (err, access, refresh) =>
        err ? reject(new Error(JSON.stringify(err))) : resolve([access, refresh]),
      ),
    )
    expect(rotated).toEqual(expect.any(String))
    expect(rotated).not.toBe(refreshToken)
    const res = await fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${accessToken!}` } })
    expect(res.status).toBe(200)
    expect(await introspect(refreshToken)).toEqual({ active: false })
    expect(await introspect(rotated!)).toMatchObject({ active: true, client_id: CLIENT_ID })
  })
})
