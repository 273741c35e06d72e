// The authorization server with LAB_ADMIN=on and a known lab key, and a POST
// of JSON to one of its /_lab/* control routes, with or without the key.

import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { testClock, type TestClock } from './auth-server.js'

export const LAB_KEY = 'control-routes-test-key-0123456789'

export async function adminAuthServer(): Promise<{ app: FastifyInstance; config: LabConfig; clock: TestClock }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', LAB_ADMIN: 'on', LAB_KEY })
  const clock = testClock(Date.now())
  const app = await buildAuthServer(config, { now: clock.now, logger: false })
  return { app, config, clock }
}

/** POST `body` as JSON (a string is sent as it is) with the lab key, unless `key` says otherwise. */
export function labPost(app: FastifyInstance, url: string, body: unknown, key: string | null = LAB_KEY) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}
