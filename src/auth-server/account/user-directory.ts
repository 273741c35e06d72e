// The users who can sign in: the configured ones (a config file, startLab
// options, or the built-in alice and bob), then those the lab added while it
// runs (lab.addUser, POST /_lab/users), checked exactly like a config file's
// users. Every route that looks a user up reads it here, never the frozen
// configuration, so an added user signs in, gets userinfo and tokens.

import { normaliseUser, type UserInput } from '../../shared/builtin-data.js'
import type { LabConfig, UserAccount } from '../../shared/config.js'
import { ConfigFileError, type ConfigIssue } from '../../shared/config-error.js'
import { schemaProblems } from '../../shared/config-file.js'
import { USER_SCHEMA } from '../../shared/config-items.js'

/** Users added at runtime, at most: memory stays bounded whoever holds the lab key. */
export const MAX_ADDED_USERS = 1000
/** The login form accepts usernames and passwords this long; a longer one could never sign in. */
export const MAX_USER_TEXT_LENGTH = 200
/** A user's claims, as JSON, at most. */
export const MAX_USER_CLAIMS_BYTES = 8 * 1024

export interface UserDirectory {
  all(): readonly UserAccount[]
  byUsername(username: string): UserAccount | undefined
  bySub(sub: string): UserAccount | undefined
  /**
   * Adds a user written as in a config file (`sub` defaults to the username),
   * after the same checks and unique usernames and subs; a `sub` may not be a
   * client id (`isClientId`, RFC 9700 §4.15.1). A problem throws a
   * ConfigFileError whose lines read `<label> at <pointer>: <problem>`.
   */
  add(input: unknown, isClientId: (id: string) => boolean, label: string): UserAccount
  /** Forgets the users added at runtime (the test API's `lab.reset()`). */
  forgetAdded(): void
  /** Forgets one user added at runtime (a workshop's learner); false if there is none, or it is configured. */
  removeAdded(username: string): boolean
}

function limitIssues(user: UserInput): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  for (const field of ['username', 'password', 'sub'] as const) {
    const value = user[field]
    if (value !== undefined && value.length > MAX_USER_TEXT_LENGTH)
      issues.push({ path: `/${field}`, problem: `must be at most ${MAX_USER_TEXT_LENGTH} characters` })
  }
  const bytes = user.claims === undefined ? 0 : Buffer.byteLength(JSON.stringify(user.claims))
  if (bytes > MAX_USER_CLAIMS_BYTES)
    issues.push({ path: '/claims', problem: `is ${bytes} bytes of JSON; at most ${MAX_USER_CLAIMS_BYTES}` })
  return issues
}

export function createUserDirectory(config: Pick<LabConfig, 'users'>): UserDirectory {
  const added: UserAccount[] = []
  const all = () => (added.length === 0 ? config.users : [...config.users, ...added])
  const byUsername = (username: string) => all().find((u) => u.username === username)
  const bySub = (sub: string) => all().find((u) => u.sub === sub)
  return {
    all,
    byUsername,
    bySub,
    add(input, isClientId, label) {
      const schema = schemaProblems(USER_SCHEMA, input)
      if (schema.length > 0) throw new ConfigFileError(label, schema, label)
      const given = input as UserInput
      const user = normaliseUser(given)
      const issues = limitIssues(given)
      if (byUsername(user.username))
        issues.push({ path: '/username', problem: `duplicate username "${user.username}"` })
      if (bySub(user.sub))
        issues.push({ path: given.sub === undefined ? '/username' : '/sub', problem: `duplicate sub "${user.sub}"` })
      // RFC 9700 §4.15.1: a client_credentials token must never pass for a user's.
      if (isClientId(user.sub))
        issues.push({
          path: given.sub === undefined ? '/username' : '/sub',
          problem: `"${user.sub}" is a client id; a user's sub must differ (RFC 9700 section 4.15.1)`,
        })
      if (issues.length === 0 && added.length >= MAX_ADDED_USERS)
        issues.push({ path: '', problem: `at most ${MAX_ADDED_USERS} users may be added while the lab runs` })
      if (issues.length > 0) throw new ConfigFileError(label, issues, label)
      // Frozen like the configured users: nobody changes a user behind the routes' back.
      const frozen = Object.freeze({ ...user, ...(user.claims ? { claims: Object.freeze({ ...user.claims }) } : {}) })
      added.push(frozen)
      return frozen
    },
    forgetAdded() {
      added.length = 0
    },
    removeAdded(username) {
      const at = added.findIndex((u) => u.username === username)
      if (at === -1) return false
      added.splice(at, 1)
      return true
    },
  }
}
