// The JSON Schemas (draft-07) of oauth-lab.config.json / .yaml and of
// startLab's options, made from the settings table: each row with a file key
// (or an option) sits at its JSON pointer, with its doc and default as the
// description. ajv validates against them; the README's configuration-file
// reference is generated from CONFIG_SCHEMA (config-docs.ts).

import { COMMENT } from './config-items.js'
import type { JsonSchema } from './setting-kinds.js'
import {
  defaultText,
  FILE_GROUPS,
  OPTION_GROUPS,
  SETTING_IDS,
  SETTINGS,
  type Setting,
  type SettingId,
} from './settings.js'

type Where = 'file' | 'option'

interface Group {
  type: 'object'
  description?: string
  additionalProperties: false
  properties: Record<string, JsonSchema>
}

function group(description: string | undefined, comment: boolean): Group {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    additionalProperties: false,
    properties: comment ? { $comment: COMMENT } : {},
  }
}

/** `<ports.auth>`: how a file's reference names another key. */
function fileKey(pointer: string | undefined): string {
  return `<${(pointer ?? '').slice(1).replace(/\//g, '.')}>`
}

function leaf<K extends SettingId>(id: K): JsonSchema {
  const row: Setting<unknown> = SETTINGS[id]
  const fallback = defaultText(id, (port) => fileKey(SETTINGS[port].file))
  const description = row.default === undefined && !row.defaultUrl ? row.doc : `${row.doc} Default \`${fallback}\`.`
  return { ...row.kind.schema, description }
}

/** The settings that have a place in `where`, nested at their pointers. */
function settingsSchema(where: Where, groups: Readonly<Record<string, string>>, root: Group): Group {
  const comment = where === 'file'
  for (const id of SETTING_IDS) {
    const pointer = SETTINGS[id][where]
    if (pointer === undefined) continue
    const keys = pointer.slice(1).split('/')
    const last = keys.pop()
    if (last === undefined) continue
    let parent = root
    keys.forEach((key, i) => {
      const existing = parent.properties[key] as Group | undefined
      const next = existing ?? group(groups[`/${keys.slice(0, i + 1).join('/')}`], comment)
      parent.properties[key] = next
      parent = next
    })
    parent.properties[last] = leaf(id)
  }
  return root
}

export const CONFIG_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://oauth-lab.invalid/oauth-lab.config.schema.json',
  title: 'oauth-lab configuration file',
  ...settingsSchema('file', FILE_GROUPS, {
    ...group(undefined, true),
    properties: {
      $schema: { type: 'string', description: 'For editors: the URL or path of this schema. Ignored.' },
      $comment: COMMENT,
    },
  }),
}

/** startLab's options other than `hooks` (functions, not data). */
export const LAB_OPTIONS_SCHEMA: JsonSchema = settingsSchema('option', OPTION_GROUPS, group(undefined, false))
