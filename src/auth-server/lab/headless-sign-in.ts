// Headless sign-in for tests of OAuth clients (AUTO_LOGIN, LOGIN_HINT=on),
// behind the extension point headlessUser: off by default, since it skips
// authentication and consent altogether.

import type { FastifyRequest } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import type { UserDirectory } from '../account/user-directory.js'
import type { HeadlessUser } from '../extensions.js'

/** The user to sign the browser in as, or undefined when neither AUTO_LOGIN nor LOGIN_HINT is on. */
export function headlessSignIn(
  config: LabConfig,
  users: Pick<UserDirectory, 'byUsername'>,
  now: () => number,
): ((request: FastifyRequest) => HeadlessUser | undefined) | undefined {
  const { autoLogin, honourLoginHint } = config.auth
  if (autoLogin === undefined && !honourLoginHint) return undefined
  return (request) => {
    const hint = honourLoginHint ? (request.query as Record<string, unknown>).login_hint : undefined
    const username = typeof hint === 'string' ? hint : autoLogin
    const user = username === undefined ? undefined : users.byUsername(username)
    return user && { sub: user.sub, authTime: Math.floor(now() / 1000) }
  }
}
