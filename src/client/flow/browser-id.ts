// The inspector's browser id: an HttpOnly, SameSite=Lax cookie of 258 random
// bits (`oauth_lab_browser`), set by the client app when this browser starts a
// flow (Connect, step-through's Connect, a Break-it run). Every server records
// its hash with the exchanges it comes with, and the inspector shows a browser
// only the flows it took part in. Looking at /flow creates nothing.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BROWSER_COOKIE, browserHash, isBrowserId, recordAsBrowser } from '../../shared/flow-masking.js'
import { randomSecret } from '../../shared/random.js'
import type { Viewer } from './visibility.js'

/** Who asks: the lab key's holder sees every flow, a browser its own, a browser without an id none. */
export function viewerOf(request: FastifyRequest): Viewer {
  if (request.labKeyHolder) return { kind: 'all' }
  const browser = browserOf(request)
  return browser === undefined ? { kind: 'none' } : { kind: 'browser', browser }
}

/** The hash of the request's browser id, if it has a valid one. */
export function browserOf(request: FastifyRequest): string | undefined {
  const id = request.cookies[BROWSER_COOKIE]
  return isBrowserId(id) ? browserHash(id) : undefined
}

const issued = new WeakMap<FastifyRequest, string>()

/**
 * The request's browser id in clear (its cookie, or the one startFlow() just
 * gave it): Break it's victim browser carries it, so the attack's requests are
 * recorded as this browser's, as the victim's own would be.
 */
export function browserIdOf(request: FastifyRequest): string | undefined {
  const id = request.cookies[BROWSER_COOKIE]
  return isBrowserId(id) ? id : issued.get(request)
}

/**
 * A flow starts here: a browser without an id gets one with this response,
 * and this very request is recorded as its (the first Connect must be in the
 * browser's flow). An existing id is kept, so earlier flows stay visible.
 */
export function startFlow(request: FastifyRequest): void {
  if (isBrowserId(request.cookies[BROWSER_COOKIE])) return
  const id = randomSecret()
  issued.set(request, id)
  recordAsBrowser(request, id)
}

/**
 * Sets the cookie for the requests of this plugin that startFlow() gave an id.
 * A hook of the route's own plugin runs after the app's session hook, so the
 * session cookie stays the first Set-Cookie of the answer.
 */
export function registerBrowserIdCookie(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const id = issued.get(request)
    // No Max-Age: the id lives as long as the browser's session.
    if (id !== undefined) reply.header('set-cookie', `${BROWSER_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`)
    done(null, payload)
  })
}
