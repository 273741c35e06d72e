// The sources of settings, lowest precedence first: a config file, the
// environment, the command line's flags, startLab's options. Each becomes a
// layer of typed values (never strings handed on as environment variables);
// the layers are merged setting by setting, checked together, and a problem
// is reported by the source that gave the setting, in that source's terms.

import { ConfigError, ConfigFileError, type ConfigIssue } from './config-error.js'
import { readConfigFile, schemaProblems } from './config-file.js'
import { settingIssues, type SettingIssue } from './config-checks.js'
import { CONFIG_SCHEMA, LAB_OPTIONS_SCHEMA } from './config-schema.js'
import { SETTING_IDS, SETTINGS, type SettingId, type SettingInput, type SettingValues } from './settings.js'

export type Env = Readonly<Record<string, string | undefined>>

type Source =
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'options'; readonly label: string }
  | { readonly kind: 'env'; readonly env: Env }
  | { readonly kind: 'flags' }

export interface Layer {
  readonly source: Source
  readonly values: SettingInput
}

/** A variable's value, trimmed; empty counts as unset. */
export function readEnv(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/** `AUTH_PORT=abc is not a port number (0-65535)`; a secret's value is never repeated. */
function envLine(id: SettingId, raw: string, problem: string): string {
  const row = SETTINGS[id]
  return row.kind.secret ? `${row.env} ${problem}` : `${row.env}=${raw} ${problem}`
}

function readEnvSetting<K extends SettingId>(id: K, env: Env, into: SettingInput): void {
  const row = SETTINGS[id]
  const raw = row.env === undefined ? undefined : readEnv(env, row.env)
  if (raw === undefined || !row.kind.parse) return
  const parsed = row.kind.parse(raw)
  if ('problem' in parsed) throw new ConfigError(envLine(id, raw, parsed.problem))
  into[id] = parsed.value
}

/** Every variable of the settings table that is set; a bad one throws a line naming it. */
export function envLayer(env: Env): Layer {
  const values: SettingInput = {}
  for (const id of SETTING_IDS) readEnvSetting(id, env, values)
  return { source: { kind: 'env', env }, values }
}

function at(data: unknown, pointer: string): unknown {
  let node = data
  for (const key of pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

/** Data that passed the schema: each setting at its pointer, normalised (URLs). */
function pickSettings(data: unknown, where: 'file' | 'option', issues: ConfigIssue[]): SettingInput {
  const values: SettingInput = {}
  const pick = <K extends SettingId>(id: K): void => {
    const row = SETTINGS[id]
    const pointer = row[where]
    if (pointer === undefined) return
    // The schema made from this very table has checked its type.
    const value = at(data, pointer) as SettingValues[K] | undefined
    if (value === undefined) return
    const checked = row.kind.normalise ? row.kind.normalise(value) : { value }
    if ('problem' in checked) issues.push({ path: pointer, problem: checked.problem })
    else values[id] = checked.value
  }
  SETTING_IDS.forEach(pick)
  return values
}

export function fileLayer(file: string): Layer {
  const issues: ConfigIssue[] = []
  const values = pickSettings(readConfigFile(file, CONFIG_SCHEMA), 'file', issues)
  if (issues.length > 0) throw new ConfigFileError(file, issues)
  return { source: { kind: 'file', file }, values }
}

/** startLab's options (without hooks): the same schema errors as a file, under `label`. */
export function optionsLayer(options: unknown, label: string): Layer {
  const issues = schemaProblems(LAB_OPTIONS_SCHEMA, options)
  const values = issues.length === 0 ? pickSettings(options, 'option', issues) : {}
  if (issues.length > 0) throw new ConfigFileError(label, issues, label)
  return { source: { kind: 'options', label }, values }
}

/** Flags come parsed and checked by args.ts. */
export function flagsLayer(values: SettingInput): Layer {
  return { source: { kind: 'flags' }, values }
}

/** The problems of one source, in its own terms. */
function sourceError(source: Source, issues: readonly SettingIssue[]): ConfigError {
  const pointed = (where: 'file' | 'option') =>
    issues.map((i) => ({ path: `${SETTINGS[i.id][where] ?? ''}${i.path}`, problem: i.problem }))
  switch (source.kind) {
    case 'file':
      return new ConfigFileError(source.file, pointed('file'))
    case 'options':
      return new ConfigFileError(source.label, pointed('option'), source.label)
    case 'env': {
      // An environment problem is told one line at a time, as before the table; there is always one.
      const [first] = issues
      if (first === undefined) return new ConfigError('the environment has a problem')
      return new ConfigError(envLine(first.id, readEnv(source.env, SETTINGS[first.id].env ?? '') ?? '', first.problem))
    }
    case 'flags':
      return new ConfigError(issues.map((i) => `${SETTINGS[i.id].flag?.name ?? i.id}: ${i.problem}`).join('\n'))
  }
}

/**
 * The layers merged, later ones winning setting by setting; then checked
 * together. Throws the problems of the first source that has any.
 */
export function mergeLayers(layers: readonly Layer[]): SettingInput {
  const merged: SettingInput = Object.assign({}, ...layers.map((layer) => layer.values)) as SettingInput
  const issues = settingIssues(merged)
  if (issues.length === 0) return merged
  const origin = (id: SettingId) => layers.findLast((layer) => layer.values[id] !== undefined)
  for (const layer of layers) {
    const own = issues.filter((issue) => origin(issue.id) === layer)
    if (own.length > 0) throw sourceError(layer.source, own)
  }
  throw new ConfigError(issues.map((issue) => `${issue.id}${issue.path}: ${issue.problem}`).join('\n'))
}
