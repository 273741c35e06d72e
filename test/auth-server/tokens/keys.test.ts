// The key ring's rotations: at once (as before), or publishing the next keys
// first and switching on a second call; what is handed on for persisting.

import { describe, expect, it } from 'vitest'
import {
  createKeyRing,
  generateSigningKeys,
  MAX_RETIRED_KEYS,
  NoKeyWaitingError,
  type SigningKeys,
} from '../../../src/auth-server/tokens/keys.js'

async function ring() {
  const persisted: string[][] = []
  const keys = createKeyRing(await generateSigningKeys('ES256'), {
    onChange: (published: readonly SigningKeys[]) => void persisted.push(published.map((k) => k.kid)),
  })
  await keys.prepare()
  persisted.length = 0
  return { keys, persisted }
}

describe('rotate({ publishFirst: true })', () => {
  it('publishes a next key of every algorithm after the current ones; the current ones go on signing', async () => {
    const { keys, persisted } = await ring()
    const current = keys.publishedKids()
    const { kid, next } = await keys.rotate({ publishFirst: true })
    expect(kid).toBe(current[0])
    expect(keys.kid).toBe(current[0])
    const published = keys.publishedKids()
    expect(published.slice(0, 3)).toEqual(current)
    expect(published).toHaveLength(6)
    expect(published[3]).toBe(next)
    // Nothing to persist: the waiting keys have signed nothing.
    expect(persisted).toEqual([])
  })

  it('a second call makes the next keys current and keeps the old ones published as previous', async () => {
    const { keys, persisted } = await ring()
    const old = keys.publishedKids()
    const { next } = await keys.rotate({ publishFirst: true })
    const waiting = keys.publishedKids().slice(3)
    const second = await keys.rotate({ publishFirst: true })
    expect(second).toEqual({ kid: next })
    expect(keys.kid).toBe(next)
    expect(keys.publishedKids()).toEqual([...waiting, ...old])
    expect(persisted).toEqual([[...waiting, ...old]])
    expect((await keys.currentKeys('RS256')).kid).toBe(waiting[1])
  })

  it('promote switches too; without a key waiting it throws and changes nothing', async () => {
    const { keys } = await ring()
    const before = keys.publishedKids()
    await expect(keys.rotate({ promote: true })).rejects.toBeInstanceOf(NoKeyWaitingError)
    expect(keys.publishedKids()).toEqual(before)
    const { next } = await keys.rotate({ publishFirst: true })
    expect((await keys.rotate({ promote: true })).kid).toBe(next)
  })

  it('a plain rotation with a key waiting makes that key current (verifiers know it already)', async () => {
    const { keys } = await ring()
    const { next } = await keys.rotate({ publishFirst: true })
    expect((await keys.rotate()).kid).toBe(next)
    expect(keys.publishedKids()).toHaveLength(6)
  })

  it('a plain rotation without one makes new keys current at once, as before', async () => {
    const { keys, persisted } = await ring()
    const old = keys.publishedKids()
    const { kid } = await keys.rotate()
    expect(old).not.toContain(kid)
    expect(keys.publishedKids().slice(3)).toEqual(old)
    expect(persisted).toHaveLength(1)
  })
})

describe('retention of replaced keys', () => {
  it('a key pushed out of previous stays published for retainMs, then goes; at most MAX_RETIRED_KEYS per algorithm', async () => {
    let t = 1_000_000
    const keys = createKeyRing(await generateSigningKeys('ES256'), { retainMs: 60_000, now: () => t })
    await keys.prepare()
    const first = keys.publishedKids()
    await keys.rotate()
    const second = keys.publishedKids().slice(0, 3)
    await keys.rotate()
    // Current, previous, then the first keys, retired while their tokens can be live.
    expect(keys.publishedKids().slice(3)).toEqual([...second, ...first])
    t += 60_000
    expect(keys.publishedKids()).toHaveLength(6)
    expect(keys.publishedKids().slice(3)).toEqual(second)
    for (let i = 0; i < MAX_RETIRED_KEYS + 3; i++) await keys.rotate()
    expect(keys.publishedKids()).toHaveLength(3 * (2 + MAX_RETIRED_KEYS))
  })

  it('without retainMs a replaced key goes at the next rotation, as before', async () => {
    const keys = createKeyRing(await generateSigningKeys('ES256'))
    await keys.prepare()
    const first = keys.publishedKids()
    await keys.rotate()
    await keys.rotate()
    expect(keys.publishedKids()).toHaveLength(6)
    for (const kid of first) expect(keys.publishedKids()).not.toContain(kid)
  })
})
