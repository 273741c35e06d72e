// Port 0 means "any free port". A role's public and internal URLs, and with
// them the issuer, the tokens' `iss` and `aud` and the Host allow-list, are
// derived from its port, so a port of 0 must become a real port before the
// configuration is built: otherwise the lab advertises `http://localhost:0`.
// The launcher pins all three roles' ports (each child must know the others'),
// a role started alone pins its own.

import { createServer, type Server } from 'node:net'
import { flagArgv, parseLabFlags } from './args.js'
import { loadConfigOrExit, type LabConfig } from './config.js'
import type { Role } from './roles.js'
import type { SettingInput } from './settings.js'

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => resolve(server))
  })
}

/**
 * `count` distinct ports that were free on `host` a moment ago: the OS picks
 * them, all held open together so that none repeats, then they are let go.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const held: Server[] = []
  try {
    for (let i = 0; i < count; i++) held.push(await listenOnAnyPort(host))
    return held.map((server) => {
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('no TCP port')
      return address.port
    })
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

/**
 * `roles` whose configured port is 0 get a free port of `config.host`, handed
 * on as `--port-<role>` flags (flags beat the file and the environment), and
 * the configuration is loaded again with them. Returns the flags to start the
 * roles with and the configuration they will read.
 */
export async function pinFreePorts(
  config: LabConfig,
  argv: readonly string[],
  roles: readonly Role[],
): Promise<{ config: LabConfig; argv: readonly string[] }> {
  const zero = roles.filter((role) => config[role.section].port === 0)
  if (zero.length === 0) return { config, argv }
  const flags = parseLabFlags(argv)
  const settings: SettingInput = { ...flags.settings }
  const ports = await freePorts(config.host, zero.length)
  zero.forEach((role, i) => (settings[role.portSetting] = ports[i]))
  const pinned = flagArgv({ ...flags, settings })
  return { config: loadConfigOrExit(process.env, pinned), argv: pinned }
}
