import { describe, it, expect, afterAll } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../src/shared/config.js'
import { buildResourceServer } from '../../src/resource-server/app.js'

const apps: FastifyInstance[] = []

async function build(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildResourceServer(loadConfig(env), { logger: false })
  apps.push(app)
  return app
}

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
})

describe('GET /.well-known/oauth-protected-resource (RFC 9728)', () => {
  it('answers 200 application/json with the metadata document', async () => {
    const app = await build()
    const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/)
    expect(res.json()).toEqual({
      resource: 'http://localhost:9002',
      authorization_servers: ['http://localhost:9001'],
      scopes_supported: ['foo'],
      bearer_methods_supported: ['header'],
      resource_name: 'oauth-lab resource server',
      // RFC 9449 §7, RFC 9728 §2: DPoP proofs with these algorithms; bearer tokens still accepted.
      dpop_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    })
  })

  it('names the public URLs, not the internal ones, so resource matches every token aud (§3.3)', async () => {
    const app = await build({
      RESOURCE_PUBLIC_URL: 'http://rs.lab.test:8002',
      RESOURCE_INTERNAL_URL: 'http://resource-server:9002',
      AUTH_PUBLIC_URL: 'http://as.lab.test:8001',
      AUTH_INTERNAL_URL: 'http://auth-server:9001',
    })
    const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.resource).toBe('http://rs.lab.test:8002')
    expect(body.authorization_servers).toEqual(['http://as.lab.test:8001'])
  })
})
