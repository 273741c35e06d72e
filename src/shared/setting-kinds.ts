// The kinds of value a setting can hold. Each kind knows its JSON Schema (for
// the config file and startLab options), how to read it from text (the
// environment and flags: the value, or what is wrong with the text), how to
// check a value that passed the schema, and how to show a default.

import type { AuthStoreConfig } from './config-types.js'
import { isOneOf, ON_OFF } from './enumerations.js'

/** The subset of JSON Schema (draft-07) the lab writes. A type alias, so ajv accepts it. */
export type JsonSchema = {
  readonly type?: 'string' | 'integer' | 'boolean' | 'array' | 'object'
  readonly enum?: readonly string[]
  readonly minimum?: number
  readonly maximum?: number
  readonly minLength?: number
  readonly minItems?: number
  readonly pattern?: string
  readonly description?: string
  readonly items?: JsonSchema
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean
  readonly $schema?: string
  readonly $id?: string
  readonly title?: string
}

export type Parsed<T> = { readonly value: T } | { readonly problem: string }

export interface Kind<T> {
  readonly schema: JsonSchema
  /** From text (environment, flags), already trimmed and not empty. */
  parse?(raw: string): Parsed<T>
  /** A value from a file or startLab options that passed the schema: checked and normalised. */
  normalise?(value: T): Parsed<T>
  /** The value as the README and --help show it. */
  show?(value: T): string
  /** Its errors never repeat the value (`NAME must …`, not `NAME=value must …`). */
  readonly secret?: boolean
}

/** A value as the README, --help and the launcher's child argv write it. */
export function showValue<T>(k: Kind<T>, value: T): string {
  if (k.show) return k.show(value)
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value)
}

export const port: Kind<number> = {
  schema: { type: 'integer', minimum: 0, maximum: 65535 },
  parse: (raw) =>
    /^\d+$/.test(raw) && Number(raw) <= 65535 ? { value: Number(raw) } : { problem: 'is not a port number (0-65535)' },
}

/** A whole number from 1 to `max` (unbounded: the largest safe integer) of `unit`. */
export function count(unit: string, max?: number): Kind<number> {
  const top = max ?? Number.MAX_SAFE_INTEGER
  return {
    schema: { type: 'integer', minimum: 1, ...(max === undefined ? {} : { maximum: max }) },
    parse: (raw) =>
      /^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= top
        ? { value: Number(raw) }
        : { problem: `is not a whole number of ${unit} from 1 to ${top}` },
  }
}

/** A server's base URL without trailing slash, query or fragment, so `${url}/path` is always right. */
function baseUrl(raw: string, notAUrl: string): Parsed<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { problem: notAUrl }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'must be an http or https URL' }
  // RFC 8414 §2 / RFC 9207 §2: the issuer has no query or fragment.
  if (url.search || url.hash || url.username || url.password)
    return { problem: 'must not have a query, fragment or credentials' }
  return { value: url.href.replace(/\/+$/, '') }
}

export const url: Kind<string> = {
  schema: { type: 'string' },
  parse: (raw) => baseUrl(raw, 'is not a URL (expected e.g. http://localhost:9001)'),
  normalise: (value) => baseUrl(value, 'must be an absolute URL (e.g. http://localhost:9001)'),
}

export function choice<T extends string>(values: readonly T[]): Kind<T> {
  return {
    schema: { enum: values },
    parse: (raw) => (isOneOf(values, raw) ? { value: raw } : { problem: `must be one of: ${values.join(', ')}` }),
  }
}

/** `on` or `off` in the environment; true or false in startLab options. */
export const onOff: Kind<boolean> = {
  schema: { type: 'boolean' },
  parse: (raw) =>
    isOneOf(ON_OFF, raw) ? { value: raw === 'on' } : { problem: `must be one of: ${ON_OFF.join(', ')}` },
  show: (value) => (value ? 'on' : 'off'),
}

/** Any text that is not empty. */
export const name: Kind<string> = {
  schema: { type: 'string', minLength: 1 },
  parse: (raw) => ({ value: raw }),
}

/** Any text. */
export const text: Kind<string> = { schema: { type: 'string' }, parse: (raw) => ({ value: raw }) }

/** @fastify/session needs at least 32 characters. */
export const secret: Kind<string> = {
  schema: { type: 'string', minLength: 32 },
  parse: (raw) => (raw.length < 32 ? { problem: 'must be at least 32 characters long' } : { value: raw }),
  secret: true,
}

/** LAB_KEY: 128 bits or more of a person's choosing, printable, no spaces. */
export const labKey: Kind<string> = {
  schema: { type: 'string', minLength: 22, pattern: '^[\\x21-\\x7e]+$' },
  parse: (raw) =>
    raw.length < 22 || !/^[\x21-\x7e]+$/.test(raw)
      ? { problem: 'must be at least 22 printable characters without spaces (128 bits or more)' }
      : { value: raw },
  secret: true,
}

/** ALLOWED_HOSTS: comma-separated host:port values, lower-cased. */
export const hostList: Kind<readonly string[]> = {
  schema: { type: 'array', items: { type: 'string', pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}$' } },
  parse: (raw) => {
    const hosts = raw.split(',').map((entry) => entry.trim().toLowerCase())
    const bad = hosts.find((host) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/.test(host))
    return bad === undefined
      ? { value: hosts }
      : { problem: `has "${bad}", which is not host:port (e.g. lab.local:3000)` }
  },
  show: (value) => value.join(','),
}

/** STORE: `memory`, or `sqlite:<path>`. */
export const store: Kind<AuthStoreConfig> = {
  schema: { type: 'string' },
  parse: (raw) => {
    if (raw === 'memory') return { value: { kind: 'memory' } }
    if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length)
      return { value: { kind: 'sqlite', path: raw.slice('sqlite:'.length) } }
    return { problem: 'must be memory or sqlite:<path> (e.g. sqlite:./data/oauth-lab.db)' }
  },
  show: (value) => (value.kind === 'memory' ? 'memory' : `sqlite:${value.path}`),
}

/** A list written in a file or in startLab options (clients, users, scopes): never from text. */
export function list<T>(items: JsonSchema, description: string): Kind<readonly T[]> {
  return { schema: { type: 'array', description, items } }
}
