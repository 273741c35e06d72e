import type { FastifyInstance } from 'fastify'
import { closeGracefully } from './close.js'
import { loadConfigOrExit, type LabConfig } from './config.js'
import { pinFreePorts } from './free-ports.js'
import type { Role } from './roles.js'

/**
 * A failure at start that one line explains (a store that cannot be used):
 * runServer prints `oauth-lab <role>: <message>` and exits 1, with no stack
 * trace. The message names what failed and why.
 */
export class StartupError extends Error {
  override name = 'StartupError'
}

/**
 * The body of each role's entry file: load the config (exit 1 with one line
 * on a bad value), build the app, listen, and close cleanly on a signal so
 * in-flight requests finish. `argv`: the flags (`--config`, `--port-*`);
 * the CLI passes its own without the role name.
 */
export async function runServer(
  info: Role,
  build: (config: LabConfig) => Promise<FastifyInstance>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const { name: role, section } = info
  // Port 0: pick the port first, so that the URLs derived from it are real.
  const { config } = await pinFreePorts(loadConfigOrExit(undefined, argv), argv, [info])
  const port = (c: LabConfig) => c[section].port
  const publicUrl = (c: LabConfig) => c[section].publicUrl
  const app = await buildOrExit(role, () => build(config))
  let closing = false
  const stop = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, `${role} stopping`)
    closeGracefully(app, 5000).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  watchParent(() => stop('parent gone'))
  try {
    await app.listen({ host: config.host, port: port(config) })
  } catch (error) {
    process.stderr.write(
      `oauth-lab ${role}: cannot listen on ${config.host}:${port(config)}: ${(error as Error).message}\n`,
    )
    process.exit(1)
  }
  app.log.info(`${role} ready at ${publicUrl(config)}`)
  // Started on its own (not by the launcher, which prints the key once for all
  // three): the person who started it needs the key to use the lab's powers.
  if (config.labKeyOrigin !== 'given') process.stdout.write(`${labKeyLine(role, config)}\n`)
}

/**
 * Started by the launcher, a role has an IPC channel to it (launcher.ts says
 * why a channel rather than stdin): its end closes when the launcher goes,
 * however it went, and then the role closes too rather than live on as an
 * orphan holding its port. Its output went to the launcher, so from then on
 * a write that fails (EPIPE) is ignored rather than thrown.
 */
function watchParent(stop: () => void): void {
  // process.send exists only in a process started with a channel; the
  // channel itself is null once disconnected.
  if (process.send === undefined) return
  // The channel must not keep the process alive by itself: the server does.
  process.channel?.unref()
  const gone = () => {
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)
    stop()
  }
  // Gone already (while this process was loading): the event has been missed.
  if (!process.connected) return gone()
  process.once('disconnect', gone)
}

/** The client app's line is a link that unlocks the inspector's view of every flow. */
export function labKeyLine(role: string, config: LabConfig): string {
  return role === 'client'
    ? `oauth-lab client lab key: ${config.client.publicUrl}/flow?lab_key=${config.labKey}`
    : `oauth-lab ${role} lab key: ${config.labKey}`
}

async function buildOrExit(role: string, build: () => Promise<FastifyInstance>): Promise<FastifyInstance> {
  try {
    return await build()
  } catch (error) {
    if (!(error instanceof StartupError)) throw error
    process.stderr.write(`oauth-lab ${role}: ${error.message}\n`)
    process.exit(1)
  }
}
