// The user directory: configured users, then users added at runtime with the
// config file's checks, bounded, and forgotten on request.

import { describe, expect, it } from 'vitest'
import { createUserDirectory, MAX_ADDED_USERS } from '../../../src/auth-server/account/user-directory.js'
import { BUILTIN_USERS } from '../../../src/shared/config.js'
import { ConfigFileError } from '../../../src/shared/config-error.js'

const noClients = () => false

describe('createUserDirectory', () => {
  it('finds configured and added users by username and sub', () => {
    const users = createUserDirectory({ users: BUILTIN_USERS })
    users.add({ username: 'carol', password: 'c', sub: 'u-3' }, noClients, 'test')
    expect(users.byUsername('carol')?.sub).toBe('u-3')
    expect(users.bySub('u-3')?.username).toBe('carol')
    expect(users.bySub('alice')?.username).toBe('alice')
    expect(users.all().map((u) => u.username)).toEqual(['alice', 'bob', 'carol'])
    users.forgetAdded()
    expect(users.byUsername('carol')).toBeUndefined()
  })

  it('removes one added user by username, never a configured one', () => {
    const users = createUserDirectory({ users: BUILTIN_USERS })
    users.add({ username: 'ada-07', password: 'p' }, noClients, 'learner')
    users.add({ username: 'grace-12', password: 'p' }, noClients, 'learner')
    expect(users.removeAdded('alice')).toBe(false)
    expect(users.removeAdded('ada-07')).toBe(true)
    expect(users.removeAdded('ada-07')).toBe(false)
    expect(users.all().map((u) => u.username)).toEqual(['alice', 'bob', 'grace-12'])
  })

  it('names the source and the pointer of each problem', () => {
    const users = createUserDirectory({ users: BUILTIN_USERS })
    expect(() => users.add({ username: 'alice', password: 'p', sub: 'x', extra: 1 }, noClients, 'lab.addUser')).toThrow(
      /lab.addUser at \/extra: unknown property/,
    )
    expect(() => users.add({ username: 'alice', password: 'p', sub: 'x' }, noClients, 'lab.addUser')).toThrow(
      new ConfigFileError('lab.addUser', [{ path: '/username', problem: 'duplicate username "alice"' }], 'lab.addUser'),
    )
    expect(() => users.add({ username: 'svc', password: 'p' }, (id) => id === 'svc', 'lab.addUser')).toThrow(
      /at \/username: "svc" is a client id/,
    )
  })

  it(`keeps at most ${MAX_ADDED_USERS} added users`, () => {
    const users = createUserDirectory({ users: [] })
    for (let i = 0; i < MAX_ADDED_USERS; i++) users.add({ username: `u${i}`, password: 'p' }, noClients, 'test')
    expect(() => users.add({ username: 'one-more', password: 'p' }, noClients, 'test')).toThrow(/at most 1000 users/)
    expect(users.all()).toHaveLength(MAX_ADDED_USERS)
  })
})
