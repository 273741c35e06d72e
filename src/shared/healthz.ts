import type { FastifyInstance } from 'fastify'

/** docs/contract.md: every process answers `GET /healthz` with 200 once ready. */
export async function healthzRoute(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))
}
