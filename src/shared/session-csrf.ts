// The browser session and the CSRF protection of every form that changes
// state (RFC 6749 §10.12), set up the same way at the authorization server
// and at the client app. Each passes its own cookie name and secret.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession, { type SessionStore } from '@fastify/session'
import fastifyCsrfProtection from '@fastify/csrf-protection'
import { randomSecret } from './random.js'

export interface SessionWithCsrfOptions {
  /**
   * Browsers do not separate cookies by port, and the lab's servers share
   * localhost: each role's session cookie needs a name of its own.
   */
  readonly cookieName: string
  /** Signs the session cookie. */
  readonly secret: string
  /** How long a session lives, in seconds: the cookie's Max-Age. */
  readonly ttlSeconds: number
  /** Where sessions live; one that forgets expired sessions (see session-store.ts). */
  readonly store: SessionStore
}

/** Registers @fastify/cookie, @fastify/session and @fastify/csrf-protection on `app`. */
export async function registerSessionWithCsrf(app: FastifyInstance, options: SessionWithCsrfOptions): Promise<void> {
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    cookieName: options.cookieName,
    secret: options.secret,
    // RFC 6749 §10.10: session ids as unguessable as codes (258 bits).
    idGenerator: () => randomSecret(),
    saveUninitialized: false,
    // Set the cookie only when the session id changes: a slow response carrying
    // an old id must not overwrite a newer one (e.g. after regenerate()).
    rolling: false,
    // HttpOnly; SameSite=Lax because the callback and the authorization request
    // are top-level GET navigations from the other server; not Secure because
    // the lab is plain http.
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, path: '/', maxAge: options.ttlSeconds * 1000 },
    store: options.store,
  })
  // CSRF secrets of at least 160 bits (RFC 6749 §10.10); the default is 18 bytes (144).
  await app.register(fastifyCsrfProtection, { sessionPlugin: '@fastify/session', csrfOpts: { secretLength: 32 } })
}

/** A route's preValidation hook: the form's CSRF token must match the session's secret. */
export function csrfCheck(app: FastifyInstance) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void =>
    app.csrfProtection(request, reply, done)
}
