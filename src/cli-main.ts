// What `oauth-lab` does with its command line: all three roles (the
// launcher, as `npm start`), or one role in this process (`oauth-lab auth`).
// Exit codes: 0 after a signal, 1 for a bad configuration or a failed server,
// 2 for a bad command line. The package's bin (cli.ts) and the single file
// (single-file.ts) both run it.

import type { FastifyInstance } from 'fastify'
import { launch, type LaunchOptions } from './launcher.js'
import { flagArgv, parseLabArgs, USAGE, UsageError, usageErrorLine, type LabFlags } from './shared/args.js'
import { loadConfigOrExit, type LabConfig } from './shared/config.js'
import { roleOfCommand, type Command } from './shared/roles.js'
import { runServer } from './shared/run.js'
import { labVersion } from './shared/version.js'

type Build = (config: LabConfig) => Promise<FastifyInstance>

/** Imported on demand: `oauth-lab auth` need not load the other two apps. */
const BUILDERS: Readonly<Record<Command, () => Promise<Build>>> = {
  auth: async () => {
    const { buildAuthServer } = await import('./auth-server/app.js')
    return (config) => buildAuthServer(config)
  },
  resource: async () => {
    const { buildResourceServer } = await import('./resource-server/app.js')
    return (config) => buildResourceServer(config)
  },
  client: async () => {
    const { buildClientApp } = await import('./client/app.js')
    return (config) => buildClientApp(config)
  },
}

async function runRole(command: Command, argv: readonly string[]): Promise<void> {
  return runServer(roleOfCommand(command), await BUILDERS[command](), argv)
}

/** `argv` without node and the script; `options` say how the launcher starts each role. */
export async function runCli(argv: readonly string[], options: LaunchOptions = {}): Promise<void> {
  let flags: LabFlags
  try {
    flags = parseLabArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${usageErrorLine(error)}\n`)
    process.exit(2)
  }

  if (flags.help) {
    process.stdout.write(USAGE)
  } else if (flags.version) {
    process.stdout.write(`${labVersion()}\n`)
  } else if (flags.command !== undefined) {
    await runRole(flags.command, flagArgv(flags))
  } else {
    const childArgv = flagArgv(flags)
    await launch(loadConfigOrExit(process.env, childArgv), childArgv, options)
  }
}
