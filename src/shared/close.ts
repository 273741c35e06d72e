import type { FastifyInstance } from 'fastify'

/**
 * Closes a server gracefully: in-flight requests get `graceMs` to finish, then
 * every connection still open is cut. Without the cut, a socket that opened but
 * never sent a request (an aborted fetch, a browser's pre-connect) would hold
 * the close until the server's headers timeout, a minute later.
 */
export async function closeGracefully(app: FastifyInstance, graceMs = 1000): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs)
  timer.unref()
  try {
    await app.close()
  } finally {
    clearTimeout(timer)
  }
}
