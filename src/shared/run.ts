import type { FastifyInstance } from 'fastify'
import { closeGracefully } from './close.js'
import { loadConfigOrExit, type LabConfig } from './config.js'

/**
 * The body of each role's entry file: load the config (exit 1 with one line
 * on a bad value), build the app, listen, and close cleanly on a signal so
 * in-flight requests finish. `argv`: the flags (`--config`, `--port-*`);
 * the CLI passes its own without the role name.
 */
export async function runServer(
  role: string,
  build: (config: LabConfig) => Promise<FastifyInstance>,
  port: (config: LabConfig) => number,
  publicUrl: (config: LabConfig) => string,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const config = loadConfigOrExit(undefined, argv)
  const app = await build(config)
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
  try {
    await app.listen({ host: config.host, port: port(config) })
  } catch (error) {
    process.stderr.write(
      `oauth-lab ${role}: cannot listen on ${config.host}:${port(config)}: ${(error as Error).message}\n`,
    )
    process.exit(1)
  }
  app.log.info(`${role} ready at ${publicUrl(config)}`)
}
