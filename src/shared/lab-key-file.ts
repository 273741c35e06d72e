// LAB_KEY_FILE: one lab key for three processes that nobody starts together
// (docker compose runs each role in its own container). The first process to
// start makes a random key and writes it there; the others read it. The file
// is created whole or not at all (written aside, then linked into place, which
// fails if another process got there first), so a reader never sees half a key.

import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConfigError } from './config-error.js'

const KEY = /^[\x21-\x7e]{22,}$/

function readKey(path: string): string {
  const key = readFileSync(path, 'utf8').trim()
  if (!KEY.test(key))
    throw new ConfigError(`LAB_KEY_FILE=${path} does not hold a lab key (22 or more printable characters)`)
  return key
}

/** The key in `path`, made (256 random bits, mode 0600, directory 0700) if the file does not exist yet. */
export function readOrCreateLabKey(path: string): { readonly key: string; readonly created: boolean } {
  try {
    return { key: readKey(path), created: false }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw asConfigError(path, error)
  }
  const key = randomBytes(32).toString('base64url')
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    writeFileSync(aside, `${key}\n`, { mode: 0o600, flag: 'wx' })
    linkSync(aside, path)
    return { key, created: true }
  } catch (error) {
    // Another process linked its key first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { key: readKey(path), created: false }
    throw asConfigError(path, error)
  } finally {
    rmSync(aside, { force: true })
  }
}

function asConfigError(path: string, error: unknown): ConfigError {
  if (error instanceof ConfigError) return error
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  return new ConfigError(`LAB_KEY_FILE=${path} cannot be read or created (${reason})`)
}
