import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/shared/config.js'
import { readOrCreateLabKey } from '../../src/shared/lab-key-file.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-key-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('LAB_KEY_FILE', () => {
  it('is made once (256 bits, mode 0600, directory 0700) and then read by everyone', () => {
    const path = join(dir, 'made', 'lab-key')
    const made = readOrCreateLabKey(path)
    expect(made.created).toBe(true)
    expect(made.key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'made')).mode & 0o777).toBe(0o700)
    expect(readOrCreateLabKey(path)).toEqual({ key: made.key, created: false })
    expect(readFileSync(path, 'utf8')).toBe(`${made.key}\n`)
  })

  it('gives the three processes of a lab one key through the config, and LAB_KEY wins over it', () => {
    const path = join(dir, 'shared-key')
    const [a, b, c] = [1, 2, 3].map(() => loadConfig({ LAB_KEY_FILE: path }))
    expect(a?.labKey).toBe(b?.labKey)
    expect(b?.labKey).toBe(c?.labKey)
    expect(a?.labKeyOrigin).toBe('file')
    const given = 'a-lab-key-of-at-least-22-characters'
    expect(loadConfig({ LAB_KEY_FILE: path, LAB_KEY: given })).toMatchObject({ labKey: given, labKeyOrigin: 'given' })
    expect(loadConfig({}).labKeyOrigin).toBe('random')
  })

  it('refuses a LAB_KEY under 128 bits or with spaces, and an ALLOWED_HOSTS entry that is not host:port', () => {
    // A secret: the message names the variable, never its value.
    expect(() => loadConfig({ LAB_KEY: 'short-key' })).toThrow(/^LAB_KEY must be at least 22 printable characters/)
    expect(() => loadConfig({ LAB_KEY: 'short-key' })).not.toThrow(/short-key/)
    expect(() => loadConfig({ LAB_KEY: 'a key with spaces in it, long enough' })).toThrow(/LAB_KEY/)
    expect(loadConfig({ ALLOWED_HOSTS: 'Lab.Local:3000, 192.0.2.10:9001' }).allowedHosts).toEqual([
      'lab.local:3000',
      '192.0.2.10:9001',
    ])
    expect(() => loadConfig({ ALLOWED_HOSTS: 'lab.local' })).toThrow(/ALLOWED_HOSTS.*not host:port/)
  })

  it('refuses a file that holds no key, and a path it cannot create, in one line', () => {
    const bad = join(dir, 'short')
    writeFileSync(bad, 'short\n')
    expect(() => loadConfig({ LAB_KEY_FILE: bad })).toThrow(`LAB_KEY_FILE=${bad} does not hold a lab key`)
    const blocked = join(bad, 'under-a-file')
    expect(() => loadConfig({ LAB_KEY_FILE: blocked })).toThrow(
      `LAB_KEY_FILE=${blocked} cannot be read or created (ENOTDIR)`,
    )
  })
})
