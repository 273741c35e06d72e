// The README's configuration-file reference, generated from CONFIG_SCHEMA so
// the two cannot drift: `npm run docs:config -- --write` rewrites the README
// block, and test/shared/config-file.test.ts fails when it is stale.

import { CONFIG_SCHEMA } from './config-schema.js'

export const REFERENCE_START = '<!-- config-reference:start -->'
export const REFERENCE_END = '<!-- config-reference:end -->'

interface Node {
  readonly type?: string
  readonly enum?: readonly unknown[]
  readonly minimum?: number
  readonly maximum?: number
  readonly description?: string
  readonly properties?: Readonly<Record<string, Node>>
  readonly required?: readonly string[]
  readonly items?: Node
}

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ')
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`
  if (node.type === 'integer') {
    const range =
      node.maximum === undefined
        ? node.minimum === undefined
          ? ''
          : ` ≥ ${node.minimum}`
        : ` ${node.minimum ?? 0}-${node.maximum}`
    return `integer${range}`
  }
  return node.type ?? 'any'
}

function rows(node: Node, prefix: string): string[] {
  const out: string[] = []
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    // $schema and $comment exist in every object only to help editors and readers.
    if (key.startsWith('$')) continue
    const path = `${prefix}${key}`
    const required = node.required?.includes(key) ? ' (required)' : ''
    out.push(`| \`${path}\`${required} | ${typeOf(child)} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`)
    if (child.properties) out.push(...rows(child, `${path}.`))
    if (child.items?.properties) out.push(...rows(child.items, `${path}[].`))
  }
  return out
}

/** The Markdown between the README's config-reference markers. */
export function configReference(): string {
  return [
    'The file is JSON (`.json`) or YAML (`.yaml`, `.yml`); every key is optional,',
    'and unknown keys are errors. `"$comment"` is allowed in every object, since JSON',
    'has no comments. Generated from `src/shared/config-schema.ts` by `npm run docs:config`.',
    '',
    '| key | type | meaning |',
    '|---|---|---|',
    ...rows(CONFIG_SCHEMA, ''),
  ].join('\n')
}

/** `readme` with its reference block replaced by a fresh one. */
export function withReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START)
  const end = readme.indexOf(REFERENCE_END)
  if (start < 0 || end < start) throw new Error(`README has no ${REFERENCE_START} ... ${REFERENCE_END} block`)
  return `${readme.slice(0, start + REFERENCE_START.length)}\n${configReference()}\n${readme.slice(end)}`
}
