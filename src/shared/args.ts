// The command line of `oauth-lab` and of each entry file: one parser, made
// from the settings table's flags, so the launcher can hand its own flags to
// its children and they mean the same. Flags become typed settings.

import { parseArgs, type ParseArgsConfig } from 'node:util'
import { COMMANDS, type Command } from './roles.js'
import { showValue } from './setting-kinds.js'
import { defaultText, SETTING_IDS, SETTINGS, type SettingId, type SettingInput } from './settings.js'

export { COMMANDS, type Command } from './roles.js'

export interface LabFlags {
  readonly command?: Command
  /** The settings given as flags (--config, --port-*, --log-level), parsed. */
  readonly settings: SettingInput
  readonly help: boolean
  readonly version: boolean
}

/** A bad flag, value or command: exit 2, unlike a bad configuration (exit 1). */
export class UsageError extends Error {
  override name = 'UsageError'
}

const FLAG_IDS = SETTING_IDS.filter((id) => SETTINGS[id].flag !== undefined)

const OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(
    FLAG_IDS.map((id) => {
      const { name, short } = SETTINGS[id].flag ?? { name: id }
      return [name, { type: 'string', ...(short === undefined ? {} : { short }) }]
    }),
  ),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
}

function helpLine(flag: string, text: string): string {
  return `  ${flag.padEnd(25)}${text}`
}

function flagHelp<K extends SettingId>(id: K): string {
  const row = SETTINGS[id]
  const { name, short, arg } = row.flag ?? { name: id, arg: 'value' }
  const values = row.kind.schema.enum ? `: ${row.kind.schema.enum.join(', ')}` : ''
  const fallback = defaultText(id, (port) => String(SETTINGS[port].default))
  const text = `${row.doc.replace(/\.$/, '').replace(/`/g, '')}${values}${fallback === undefined ? '' : ` (default ${fallback})`}${row.env === undefined ? '' : `; also ${row.env}`}`
  return helpLine(`${short === undefined ? '    ' : `-${short}, `}--${name} <${arg}>`, text)
}

export const USAGE = `Usage: oauth-lab [${COMMANDS.join('|')}] [options]

Starts the offline OAuth 2 lab: all three servers, or only the one named.

Options:
${FLAG_IDS.map(flagHelp).join('\n')}
${helpLine('-h, --help', 'print this help and exit')}
${helpLine('-v, --version', 'print the version and exit')}

Precedence: built-in defaults < config file < environment variables < flags.
Exit codes: 0 stopped by a signal, 1 bad configuration or a server failed, 2 bad command line.
`

/** node:util's messages are long and mention `--` tricks; say it in a few words. */
function shortMessage(error: Error & { code?: string }): string {
  // "Option '-c, --config <value>' argument missing": name the long form.
  const option = /'(?:-\w, )?(--?[\w-]+)/.exec(error.message)?.[1]
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? ''}`.trim()
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option ?? ''} needs a value`
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return `unexpected argument ${/'([^']+)'/.exec(error.message)?.[1] ?? ''}`.trim()
  return error.message
}

function readFlag<K extends SettingId>(id: K, values: Record<string, unknown>, into: SettingInput): void {
  const row = SETTINGS[id]
  const name = row.flag?.name ?? id
  const raw = values[name]
  if (typeof raw !== 'string' || !row.kind.parse) return
  if (raw === '') throw new UsageError(`option --${name} needs a value`)
  const parsed = row.kind.parse(raw)
  if ('problem' in parsed) throw new UsageError(`--${name} ${raw} ${parsed.problem}`)
  into[id] = parsed.value
}

const BARE = new Map<string, string>(
  FLAG_IDS.flatMap((id) => {
    const flag = SETTINGS[id].flag
    return flag?.bare === undefined ? [] : [[`--${flag.name}`, `--${flag.name}=${flag.bare}`] as const]
  }),
)

/** `--lan` alone means `--lan=on`: such a flag takes another value only after `=`. */
function bareFlag(arg: string): string {
  return BARE.get(arg) ?? arg
}

/**
 * Parses argv (without node and the script). `allowCommand`: the CLI takes a
 * role as its first argument; an entry file takes none.
 */
export function parseLabArgs(argv: readonly string[], allowCommand = true): LabFlags {
  let parsed
  try {
    parsed = parseArgs({ args: argv.map(bareFlag), options: OPTIONS, strict: true, allowPositionals: allowCommand })
  } catch (error) {
    throw new UsageError(shortMessage(error as Error & { code?: string }))
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`)
  const command = COMMANDS.find((c) => c === positionals[0])
  if (positionals[0] !== undefined && command === undefined) {
    throw new UsageError(`unknown command ${positionals[0]} (expected ${COMMANDS.join(', ')} or none)`)
  }
  const settings: SettingInput = {}
  for (const id of FLAG_IDS) readFlag(id, values, settings)
  return {
    ...(command === undefined ? {} : { command }),
    settings,
    help: values.help === true,
    version: values.version === true,
  }
}

/** For entry files: the same flags, no command. */
export function parseLabFlags(argv: readonly string[]): LabFlags {
  return parseLabArgs(argv, false)
}

function flagArg<K extends SettingId>(id: K, settings: SettingInput): string[] {
  const row = SETTINGS[id]
  const value = settings[id]
  if (value === undefined || row.flag === undefined) return []
  // A flag with a bare meaning takes its value only after `=`.
  if (row.flag.bare !== undefined) return [`--${row.flag.name}=${showValue(row.kind, value)}`]
  return [`--${row.flag.name}`, showValue(row.kind, value)]
}

/** What the launcher passes on to each child entry file. */
export function flagArgv(flags: LabFlags): string[] {
  return FLAG_IDS.flatMap((id) => flagArg(id, flags.settings))
}

export function usageErrorLine(error: UsageError): string {
  return `oauth-lab: ${error.message} (see oauth-lab --help)`
}
