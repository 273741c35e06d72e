// The README's configuration tables, generated from the settings table (and
// the file's schema made from it) so they cannot drift: environment
// variables, flags and the config-file reference. `npm run docs:config --
// --write` rewrites the README blocks; test/shared/config-file.test.ts fails
// when one is stale.

import { CONFIG_SCHEMA } from './config-schema.js'
import type { JsonSchema } from './setting-kinds.js'
import { defaultText, SETTING_IDS, SETTINGS, type SettingId } from './settings.js'

export const REFERENCE_START = '<!-- config-reference:start -->'
export const REFERENCE_END = '<!-- config-reference:end -->'

/** Each generated README block: its markers and its content. */
export const README_BLOCKS = [
  { name: 'env-reference', content: () => envReference() },
  { name: 'flag-reference', content: () => flagReference() },
  { name: 'config-reference', content: () => configReference() },
] as const

const cell = (text: string) => text.replace(/\|/g, '\\|')

function typeOf(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' \\| ')
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`
  if (node.type === 'integer') {
    if (node.maximum !== undefined) return `integer ${node.minimum ?? 0}-${node.maximum}`
    return node.minimum === undefined ? 'integer' : `integer ≥ ${node.minimum}`
  }
  return node.type ?? 'any'
}

function rows(node: JsonSchema, prefix: string): string[] {
  const out: string[] = []
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    // $schema and $comment exist in every object only to help editors and readers.
    if (key.startsWith('$')) continue
    const path = `${prefix}${key}`
    const required = node.required?.includes(key) ? ' (required)' : ''
    out.push(`| \`${path}\`${required} | ${typeOf(child)} | ${cell(child.description ?? '')} |`)
    if (child.properties) out.push(...rows(child, `${path}.`))
    if (child.items?.properties) out.push(...rows(child.items, `${path}[].`))
  }
  return out
}

/** The config-file reference. */
export function configReference(): string {
  return [
    'The file is JSON (`.json`) or YAML (`.yaml`, `.yml`); every key is optional,',
    'and unknown keys are errors. `"$comment"` is allowed in every object, since JSON',
    'has no comments. Generated from `src/shared/settings.ts` by `npm run docs:config`.',
    '',
    '| key | type | meaning |',
    '|---|---|---|',
    ...rows(CONFIG_SCHEMA, ''),
  ].join('\n')
}

/** What the README says a variable or flag may hold, after its doc. */
function values<K extends SettingId>(id: K): string {
  const { enum: choices } = SETTINGS[id].kind.schema
  return choices ? ` One of ${choices.map((v) => `\`${v}\``).join(', ')}.` : ''
}

function envRow<K extends SettingId>(id: K): string[] {
  const row = SETTINGS[id]
  if (row.env === undefined) return []
  const fallback = defaultText(id, (port) => `$${SETTINGS[port].env ?? port}`)
  const shown =
    fallback === undefined ? '(none)' : row.default === undefined && !row.defaultUrl ? fallback : `\`${fallback}\``
  const file = row.file === undefined ? '' : ` File: \`${row.file.slice(1).replace(/\//g, '.')}\`.`
  return [`| \`${row.env}\` | ${cell(shown)} | ${cell(row.doc)}${cell(values(id))}${file} |`]
}

/** The environment variables. */
export function envReference(): string {
  return ['| variable | default | meaning |', '|---|---|---|', ...SETTING_IDS.flatMap(envRow)].join('\n')
}

function flagRow<K extends SettingId>(id: K): string[] {
  const { flag, env, doc } = SETTINGS[id]
  if (flag === undefined) return []
  const short = flag.short === undefined ? '' : `\`-${flag.short}\`, `
  return [`| ${short}\`--${flag.name} <${flag.arg}>\` | \`${env ?? ''}\` | ${cell(doc)}${cell(values(id))} |`]
}

/** The command-line flags that set a setting (besides --help and --version). */
export function flagReference(): string {
  return ['| flag | variable it beats | meaning |', '|---|---|---|', ...SETTING_IDS.flatMap(flagRow)].join('\n')
}

const markers = (name: string) => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`] as const

/** The content between a block's markers in `readme` (trimmed), or undefined without markers. */
export function readmeBlock(readme: string, name: string): string | undefined {
  const [startMark, endMark] = markers(name)
  const start = readme.indexOf(startMark)
  const end = readme.indexOf(endMark)
  return start < 0 || end < start ? undefined : readme.slice(start + startMark.length, end).trim()
}

/** `readme` with every generated block replaced by a fresh one. */
export function withReference(readme: string): string {
  return README_BLOCKS.reduce((text, block) => {
    const [startMark, endMark] = markers(block.name)
    const start = text.indexOf(startMark)
    const end = text.indexOf(endMark)
    if (start < 0 || end < start) throw new Error(`README has no ${startMark} ... ${endMark} block`)
    return `${text.slice(0, start + startMark.length)}\n${block.content()}\n${text.slice(end)}`
  }, readme)
}
