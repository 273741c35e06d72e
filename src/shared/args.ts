// The command line of `oauth-lab` and of each entry file: one parser, so the
// launcher can hand its own flags to its children and they mean the same.

import { parseArgs } from 'node:util'
import { LOG_LEVELS } from './config-schema.js'

export const COMMANDS = ['auth', 'resource', 'client'] as const
export type Command = (typeof COMMANDS)[number]

export interface LabFlags {
  readonly command?: Command
  readonly config?: string
  readonly ports: { readonly auth?: number; readonly resource?: number; readonly client?: number }
  readonly logLevel?: string
  readonly help: boolean
  readonly version: boolean
}

/** A bad flag, value or command: exit 2, unlike a bad configuration (exit 1). */
export class UsageError extends Error {
  override name = 'UsageError'
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'port-auth': { type: 'string' },
  'port-resource': { type: 'string' },
  'port-client': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

export const USAGE = `Usage: oauth-lab [auth|resource|client] [options]

Starts the offline OAuth 2 lab: all three servers, or only the one named.

Options:
  -c, --config <file>      a config file (.json, .yaml or .yml); also OAUTH_LAB_CONFIG
      --port-auth <n>      authorization server port (default 9001)
      --port-resource <n>  resource server port (default 9002)
      --port-client <n>    client app port (default 3000)
      --log-level <level>  ${LOG_LEVELS.join(', ')}
  -h, --help               print this help and exit
  -v, --version            print the version and exit

Precedence: built-in defaults < config file < environment variables < flags.
Exit codes: 0 stopped by a signal, 1 bad configuration or a server failed, 2 bad command line.
`

function port(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value > 65535) throw new UsageError(`--${flag} ${raw} is not a port number (0-65535)`)
  return value
}

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

/**
 * Parses argv (without node and the script). `allowCommand`: the CLI takes a
 * role as its first argument; an entry file takes none.
 */
export function parseLabArgs(argv: readonly string[], allowCommand = true): LabFlags {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: allowCommand })
  } catch (error) {
    throw new UsageError(shortMessage(error as Error & { code?: string }))
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`)
  const command = positionals[0]
  if (command !== undefined && !(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command ${command} (expected ${COMMANDS.join(', ')} or none)`)
  }
  const logLevel = values['log-level']
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level ${logLevel} must be one of: ${LOG_LEVELS.join(', ')}`)
  }
  if (values.config === '') throw new UsageError('option --config needs a value')
  const ports = {
    auth: port('port-auth', values['port-auth']),
    resource: port('port-resource', values['port-resource']),
    client: port('port-client', values['port-client']),
  }
  return {
    ...(command === undefined ? {} : { command: command as Command }),
    ...(values.config === undefined ? {} : { config: values.config }),
    ports: Object.fromEntries(Object.entries(ports).filter(([, v]) => v !== undefined)),
    ...(logLevel === undefined ? {} : { logLevel }),
    help: values.help ?? false,
    version: values.version ?? false,
  }
}

/** For entry files: the same flags, no command. */
export function parseLabFlags(argv: readonly string[]): LabFlags {
  return parseLabArgs(argv, false)
}

/** Flags beat the environment: they become the variables they stand for. */
export function flagEnv(flags: LabFlags): Record<string, string> {
  const env: Record<string, string> = {}
  if (flags.ports.auth !== undefined) env.AUTH_PORT = String(flags.ports.auth)
  if (flags.ports.resource !== undefined) env.RESOURCE_PORT = String(flags.ports.resource)
  if (flags.ports.client !== undefined) env.CLIENT_PORT = String(flags.ports.client)
  if (flags.logLevel !== undefined) env.LOG_LEVEL = flags.logLevel
  return env
}

/** What the launcher passes on to each child entry file. */
export function flagArgv(flags: LabFlags): string[] {
  const argv: string[] = []
  if (flags.config !== undefined) argv.push('--config', flags.config)
  if (flags.ports.auth !== undefined) argv.push('--port-auth', String(flags.ports.auth))
  if (flags.ports.resource !== undefined) argv.push('--port-resource', String(flags.ports.resource))
  if (flags.ports.client !== undefined) argv.push('--port-client', String(flags.ports.client))
  if (flags.logLevel !== undefined) argv.push('--log-level', flags.logLevel)
  return argv
}

export function usageErrorLine(error: UsageError): string {
  return `oauth-lab: ${error.message} (see oauth-lab --help)`
}
