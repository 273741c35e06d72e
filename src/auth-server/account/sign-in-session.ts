// The resource owner's session at the authorization server (step 2) and the
// CSRF protection of every form that changes state (RFC 6749 §10.12).

import type { FastifyInstance, Session } from 'fastify'
import type { AuthServerConfig } from '../../shared/config.js'
import { registerSessionWithCsrf } from '../../shared/session-csrf.js'
import { createExpiringSessionStore } from '../../shared/session-store.js'

/** The cookie's name differs from the client app's: browsers share cookies across localhost ports. */
export const AUTH_SESSION_COOKIE = 'oauth_lab_as_sid'

/** A request waiting for the user to sign in (then `resume`) or to decide on consent. */
export interface PendingInteraction {
  /** The local path to continue at after signing in; always built by the server. */
  readonly resume: string
  /** For an authorization request: its original query, re-validated when it resumes. */
  readonly query?: string
  /** The client that asked, named on the login page. */
  readonly clientId?: string
  /** RP-initiated logout: where to send the browser after signing out (already verified). */
  readonly postLogout?: { readonly uri: string; readonly state?: string }
  /** Device grant (RFC 8628): the normalised user code the user is deciding on at POST /consent. */
  readonly device?: string
  readonly createdAt: number
}

declare module 'fastify' {
  interface Session {
    user?: { sub: string; authTime: number }
    interactions?: Record<string, PendingInteraction>
  }
}

/** A visitor who has signed in; any other session is anonymous, short-lived and capped (session-store.ts). */
export const isSignedIn = (session: Session): boolean => session.user !== undefined

export function createSessionStore(config: AuthServerConfig, now: () => number) {
  return createExpiringSessionStore(config.sessionTtlSeconds * 1000, isSignedIn, now)
}

/** Sessions and CSRF for the pages only: the back channel never pays for them. */
export async function registerSession(
  app: FastifyInstance,
  config: AuthServerConfig,
  store: Pick<ReturnType<typeof createExpiringSessionStore>, 'set' | 'get' | 'destroy'>,
): Promise<void> {
  await registerSessionWithCsrf(app, {
    cookieName: AUTH_SESSION_COOKIE,
    secret: config.sessionSecret,
    ttlSeconds: config.sessionTtlSeconds,
    store,
  })
}
