// The three real servers, in this process, listening on free 127.0.0.1 ports
// and talking to each other over real HTTP, as `npm start` runs them.

import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { buildClientApp } from '../../src/client/app.js'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { closeGracefully } from '../../src/shared/close.js'
import { freePorts } from './free-port.js'

export interface Exchange {
  readonly role: 'auth' | 'resource' | 'client'
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: unknown
  readonly status: number
  readonly responseHeaders: Record<string, unknown>
  readonly responseBody: string
}

export interface TestLab {
  readonly config: LabConfig
  readonly auth: FastifyInstance
  readonly resource: FastifyInstance
  readonly client: FastifyInstance
  /** Every exchange each server saw, in order (test instrumentation only). */
  readonly exchanges: Exchange[]
  close(): Promise<void>
}

/** Records what a server received and answered: the test's view of the wire. */
function record(app: FastifyInstance, role: Exchange['role'], exchanges: Exchange[]): void {
  app.addHook('onSend', async (request, reply, payload) => {
    exchanges.push({
      role,
      method: request.method,
      url: request.url,
      headers: { ...request.headers },
      body: request.body,
      status: reply.statusCode,
      responseHeaders: { ...reply.getHeaders() },
      responseBody: typeof payload === 'string' ? payload : '',
    })
    return payload
  })
}

/**
 * `transform` (optional) builds a variant of the loaded config, e.g.
 * `(c) => ({ ...c, users: [...] })`; it must keep the ports and URLs.
 */
export async function startTestLab(
  env: Record<string, string> = {},
  transform: (config: LabConfig) => LabConfig = (config) => config,
): Promise<TestLab> {
  const [authPort, resourcePort, clientPort] = await freePorts(3)
  const loaded = loadConfig({
    LOG_LEVEL: 'silent',
    AUTH_PORT: String(authPort),
    RESOURCE_PORT: String(resourcePort),
    CLIENT_PORT: String(clientPort),
    ...env,
  })
  const config = transform(loaded)
  const exchanges: Exchange[] = []
  const auth = await buildAuthServer(config, { logger: false })
  const resource = await buildResourceServer(config, { logger: false })
  const client = await buildClientApp(config, { logger: false })
  record(auth, 'auth', exchanges)
  record(resource, 'resource', exchanges)
  record(client, 'client', exchanges)
  await auth.listen({ host: '127.0.0.1', port: authPort })
  await resource.listen({ host: '127.0.0.1', port: resourcePort })
  await client.listen({ host: '127.0.0.1', port: clientPort })
  return {
    config,
    auth,
    resource,
    client,
    exchanges,
    async close() {
      await Promise.all([client, resource, auth].map((app) => closeGracefully(app)))
    },
  }
}
