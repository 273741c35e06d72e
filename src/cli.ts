#!/usr/bin/env node
// `oauth-lab`, the package's bin: all three roles (the launcher, as `npm
// start`), or one role in this process (`oauth-lab auth`). Exit codes: 0
// after a signal, 1 for a bad configuration or a failed server, 2 for a bad
// command line.

import { launch } from './launcher.js'
import {
  flagArgv,
  parseLabArgs,
  USAGE,
  UsageError,
  usageErrorLine,
  type Command,
  type LabFlags,
} from './shared/args.js'
import { loadConfigOrExit, type LabConfig } from './shared/config.js'
import { runServer } from './shared/run.js'
import { labVersion } from './shared/version.js'

/** Imported on demand: `oauth-lab auth` need not load the other two apps. */
async function runRole(command: Command, argv: readonly string[]): Promise<void> {
  switch (command) {
    case 'auth': {
      const { buildAuthServer } = await import('./auth-server/app.js')
      return runServer(
        'auth-server',
        (c: LabConfig) => buildAuthServer(c),
        (c) => c.auth.port,
        (c) => c.auth.publicUrl,
        argv,
      )
    }
    case 'resource': {
      const { buildResourceServer } = await import('./resource-server/app.js')
      return runServer(
        'resource-server',
        (c: LabConfig) => buildResourceServer(c),
        (c) => c.resource.port,
        (c) => c.resource.publicUrl,
        argv,
      )
    }
    case 'client': {
      const { buildClientApp } = await import('./client/app.js')
      return runServer(
        'client',
        (c: LabConfig) => buildClientApp(c),
        (c) => c.client.port,
        (c) => c.client.publicUrl,
        argv,
      )
    }
  }
}

let flags: LabFlags
try {
  flags = parseLabArgs(process.argv.slice(2))
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
  await launch(loadConfigOrExit(process.env, childArgv), childArgv)
}
