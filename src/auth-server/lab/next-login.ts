// Next login: the test chooses who signs in next, and with which extra
// claims, without filling in a form (lab.signInNext, POST /_lab/next-login).
// The next authorization request that would show the login page signs that
// user in instead, consenting for them, once: headless sign-in (AUTO_LOGIN)
// for one login. The extra claims are merged into that user's claims for the
// tokens of that login's code: its access token and ID token (through the
// claims hook path, before any hook of the test's own) and the userinfo
// answered to that access token. Later logins, and tokens refreshed from this
// one, carry the user's configured claims only.

import type { FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'
import type { UserAccount } from '../../shared/config.js'
import type { AuthStore } from '../store/auth-store.js'
import type { HeadlessUser, SignedTokenKind, TokenSigningContext } from '../extensions.js'
import { releasedClaims, STANDARD_SCOPE_CLAIMS } from '../oidc/scope-claims.js'
import { hashToken } from '../tokens/token-hash.js'
import type { HookedResponse, HookedRequest } from './hooks.js'

export interface NextLogin {
  /** A user of the lab: one configured, or added with addUser. */
  readonly username: string
  /** Merged into the user's claims for this one login (ID token, access token, userinfo). */
  readonly claims?: Readonly<Record<string, unknown>>
}

/**
 * Claims of the tokens themselves (RFC 9068 §2.2, OIDC Core §2): the login's
 * extra claims are about the user and may not set these.
 */
export const TOKEN_OWN_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'client_id',
  'scope',
  'auth_time',
  'nonce',
  'at_hash',
] as const

/** Logins whose tokens may still be asked for: the most recent ones only. */
const MAX_LOGINS = 100

interface Login {
  readonly sub: string
  readonly clientId: string
  readonly authTime: number
  readonly claims: Readonly<Record<string, unknown>>
  /** The code's access token, once signed: later tokens of that sub and client are another login's. */
  jti?: string
}

export interface NextLoginState {
  /** Arms the next login; `user` is the user found for `next.username`. */
  arm(next: NextLogin, user: UserAccount): void
  armed(): NextLogin | null
  /** The extension point headlessUser, before AUTO_LOGIN / LOGIN_HINT: the armed login, if the login page would show. */
  take(request: FastifyRequest, nowMs: number): HeadlessUser | undefined
  /** The login's claims under a token's about to be signed: the token's own claims win. */
  claimsOf(
    kind: SignedTokenKind,
    claims: Record<string, unknown>,
    context: TokenSigningContext,
  ): Record<string, unknown>
  /** A userinfo answer with the login's claims that the token's scopes release (and any non-standard one). */
  userinfo(response: HookedResponse, request: HookedRequest): HookedResponse
  /** Disarms the next login and forgets past ones. */
  clear(): void
}

/**
 * Would /authorize show the login page for want of a sign-in (no session, or
 * one older than max_age, OIDC Core §3.1.2.1)? prompt=none never shows a page
 * (it answers login_required), and prompt=login shows it whoever is signed in,
 * headless sign-in included, so neither uses the next login.
 */
function wouldShowLogin(request: FastifyRequest, nowMs: number): boolean {
  const query = request.query as Record<string, unknown>
  const prompt = typeof query.prompt === 'string' ? query.prompt.split(' ') : []
  if (prompt.includes('none') || prompt.includes('login')) return false
  const user = request.session.user
  if (!user) return true
  const maxAge = typeof query.max_age === 'string' && /^\d+$/.test(query.max_age) ? Number(query.max_age) : undefined
  return maxAge !== undefined && Math.floor(nowMs / 1000) - user.authTime > maxAge
}

/** The claims of the access token a userinfo request carried (verified already: userinfo answered 200). */
function presentedClaims(request: HookedRequest, store: AuthStore): Readonly<Record<string, unknown>> | undefined {
  const header = request.headers.authorization
  const token = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header)?.[1] : undefined
  if (token === undefined) return undefined
  try {
    return token.split('.').length === 3 ? decodeJwt(token) : store.findOpaqueToken(hashToken(token))?.claims
  } catch {
    return undefined
  }
}

const STANDARD_CLAIMS = new Set(Object.values(STANDARD_SCOPE_CLAIMS).flat())

/** A next login's claims, as JSON, at most: memory stays bounded. */
export const MAX_NEXT_LOGIN_CLAIMS_BYTES = 8 * 1024

/**
 * What is wrong with a next login, as `<field>: <problem>`, or the user it
 * names: a user of the lab, claims of bounded size about the user (not the
 * tokens' own claims, which the server sets).
 */
export function checkNextLogin(
  next: NextLogin,
  byUsername: (username: string) => UserAccount | undefined,
): { readonly user: UserAccount } | { readonly problem: string } {
  const user = byUsername(next.username)
  if (!user) return { problem: `username: no user is named '${next.username}'` }
  if (next.claims === undefined) return { user }
  if (typeof next.claims !== 'object' || next.claims === null || Array.isArray(next.claims))
    return { problem: 'claims: must be an object' }
  const own = Object.keys(next.claims).filter((name) => (TOKEN_OWN_CLAIMS as readonly string[]).includes(name))
  if (own.length > 0) return { problem: `claims: ${own.join(', ')} belong to the tokens, which the server sets` }
  const bytes = Buffer.byteLength(JSON.stringify(next.claims))
  if (bytes > MAX_NEXT_LOGIN_CLAIMS_BYTES)
    return { problem: `claims: ${bytes} bytes of JSON; at most ${MAX_NEXT_LOGIN_CLAIMS_BYTES}` }
  return { user }
}

export function createNextLogin(store: AuthStore): NextLoginState {
  let next: (NextLogin & { readonly sub: string }) | undefined
  const logins: Login[] = []
  const remember = (login: Login) => {
    logins.push(login)
    if (logins.length > MAX_LOGINS) logins.shift()
  }
  const findLast = (match: (login: Login) => boolean) => logins.findLast(match)
  return {
    arm(login, user) {
      next = { username: login.username, sub: user.sub, ...(login.claims ? { claims: { ...login.claims } } : {}) }
    },
    armed: () => (next ? { username: next.username, ...(next.claims ? { claims: { ...next.claims } } : {}) } : null),
    take(request, nowMs) {
      if (!next || !wouldShowLogin(request, nowMs)) return undefined
      const clientId = (request.query as Record<string, unknown>).client_id
      const user = { sub: next.sub, authTime: Math.floor(nowMs / 1000) }
      if (typeof clientId === 'string' && next.claims) remember({ ...user, clientId, claims: next.claims })
      next = undefined
      return user
    },
    claimsOf(kind, claims, context) {
      if (kind === 'id_token') {
        // OIDC Core §2: the ID token names its login by sub, aud and auth_time.
        const login = findLast(
          (l) => l.sub === claims.sub && l.clientId === claims.aud && l.authTime === claims.auth_time,
        )
        // The login's claims replace the user's configured ones the scopes released; protocol claims
        // cannot be among them (checkNextLogin refuses them).
        return login ? { ...claims, ...login.claims } : claims
      }
      // The access token of the login's code: the first one for that user and client.
      if (context.grantType !== 'authorization_code') return claims
      const login = findLast((l) => l.jti === undefined && l.sub === claims.sub && l.clientId === context.clientId)
      if (!login || typeof claims.jti !== 'string') return claims
      login.jti = claims.jti
      return { ...login.claims, ...claims }
    },
    userinfo(response, request) {
      if (response.status !== 200 || typeof response.body !== 'object' || response.body === null) return response
      const token = presentedClaims(request, store)
      const jti = token?.jti
      const login = typeof jti === 'string' ? findLast((l) => l.jti === jti) : undefined
      if (!login) return response
      const body = response.body as Record<string, unknown>
      const scopes = typeof token?.scope === 'string' ? token.scope.split(' ') : []
      // OIDC Core §5.4: standard claims by scope; claims no scope names were asked for by name.
      const custom = Object.fromEntries(
        Object.entries(login.claims).filter(([name]) => !STANDARD_CLAIMS.has(name) && name !== 'sub'),
      )
      return { ...response, body: { ...body, ...custom, ...releasedClaims(scopes, [], login.claims), sub: body.sub } }
    },
    clear() {
      next = undefined
      logins.length = 0
    },
  }
}
