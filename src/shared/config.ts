// The lab's configuration: the only module that reads the environment. Every
// setting is a row of settings.ts; this module layers the sources (defaults <
// config file < environment < flags < startLab options), checks them
// together and builds the frozen LabConfig every server reads.

import { parseLabFlags, UsageError, usageErrorLine, type LabFlags } from './args.js'
import { ConfigError, configErrorLines } from './config-error.js'
import {
  envLayer,
  fileLayer,
  flagsLayer,
  mergeLayers,
  optionsLayer,
  readEnv,
  type Env,
  type Layer,
} from './config-layers.js'
import type { LabConfig } from './config-types.js'
import { buildConfig } from './config-build.js'
import { applyLan, type InterfaceList } from './lan.js'
import { networkInterfaces } from 'node:os'
import { SETTINGS, type SettingInput } from './settings.js'

export type * from './config-types.js'
export { ConfigError, ConfigFileError } from './config-error.js'
export { DEFAULTS } from './settings.js'
export {
  BUILTIN_CLIENT_ID,
  BUILTIN_CLIENT_SECRET,
  BUILTIN_RESOURCE_CLIENT_ID,
  BUILTIN_RESOURCE_CLIENT_SECRET,
  BUILTIN_SCOPES,
  BUILTIN_USERS,
  OIDC_SCOPES,
  builtinClients,
} from './builtin-data.js'

export interface LoadOptions {
  /** A config file (JSON or YAML): its values sit between the defaults and the environment. */
  readonly file?: string
  /** Parsed command-line flags: they beat the environment. */
  readonly flags?: SettingInput
  /** startLab's options (unchecked data): they beat everything, and their problems name `label`. */
  readonly labOptions?: { readonly options: unknown; readonly label: string }
  /** LAN mode's interface list; default os.networkInterfaces (tests give a fake one). */
  readonly interfaces?: () => InterfaceList
}

/**
 * Builds the whole lab configuration: built-in defaults, then the config file
 * (if `options.file`), the environment, flags and startLab options (see the
 * README's "Configuration"). Throws `ConfigError` on a bad value;
 * `ConfigFileError` lists every problem of a file or of startLab options.
 */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): LabConfig {
  const layers: Layer[] = [
    ...(options.file === undefined ? [] : [fileLayer(options.file)]),
    envLayer(env),
    ...(options.flags === undefined ? [] : [flagsLayer(options.flags)]),
    ...(options.labOptions === undefined ? [] : [optionsLayer(options.labOptions.options, options.labOptions.label)]),
  ]
  const config = buildConfig(applyLan(mergeLayers(layers), options.interfaces ?? networkInterfaces))
  assertNoSubjectCollision(config)
  return deepFreeze(config)
}

/**
 * RFC 9700 §4.15.1: a client_id that equals a user's `sub` would let a
 * client_credentials token pass for that user's token. Refuse such a config.
 */
export function assertNoSubjectCollision(config: Pick<LabConfig, 'clients' | 'users'>): void {
  const subs = new Set(config.users.map((u) => u.sub))
  const clash = config.clients.find((c) => subs.has(c.clientId))
  if (clash)
    throw new ConfigError(
      `client_id ${clash.clientId} is also a user's sub; they must differ (RFC 9700 section 4.15.1)`,
    )
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * For entry files: load the config or print the reason (one line per
 * problem) and exit 1. The file comes from `--config` in argv (the launcher
 * and the CLI pass it on) or `OAUTH_LAB_CONFIG`; flags beat the environment.
 * A bad flag exits 2.
 */
export function loadConfigOrExit(env: Env = process.env, argv: readonly string[] = process.argv.slice(2)): LabConfig {
  let flags: LabFlags
  try {
    flags = parseLabFlags(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${usageErrorLine(error)}\n`)
    process.exit(2)
  }
  try {
    const file = flags.settings.configFile ?? readEnv(env, SETTINGS.configFile.env ?? '')
    return loadConfig(env, { ...(file === undefined ? {} : { file }), flags: flags.settings })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(
      configErrorLines(error)
        .map((line) => `${line}\n`)
        .join(''),
    )
    process.exit(1)
  }
}
