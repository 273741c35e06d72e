import { describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { loggerOptions, redactUrl } from '../../src/shared/logging.js'

describe('redactUrl', () => {
  it('hides codes, state, tokens and secrets but keeps the rest', () => {
    const url = redactUrl('/authenticated?code=SECRETCODE&state=S1&iss=http%3A%2F%2Flocalhost%3A9001&x=1')
    expect(url).not.toContain('SECRETCODE')
    expect(url).not.toContain('S1')
    expect(url).toContain('iss=http%3A%2F%2Flocalhost%3A9001')
    expect(url).toContain('x=1')
    expect(redactUrl('/healthz')).toBe('/healthz')
  })
})

describe('loggerOptions', () => {
  it('keeps Authorization headers, cookies and query secrets out of request logs', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const options = loggerOptions('auth-server', 'info') as Record<string, unknown>
    const app = Fastify({ logger: { ...options, stream } })
    app.get('/authenticated', async (request) => {
      request.log.info({ req: request }, 'seen')
      return 'ok'
    })
    await app.inject({
      method: 'GET',
      url: '/authenticated?code=THE-CODE&state=THE-STATE',
      headers: {
        authorization: 'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x',
        cookie: 'oauth_lab_as_sid=SESSION',
      },
    })
    await app.close()
    const text = lines.join('')
    expect(text).toContain('"role":"auth-server"')
    expect(text).toContain('/authenticated?code=%5Bredacted%5D')
    for (const secret of ['THE-CODE', 'THE-STATE', 'b2F1dGgtY2xpZW50', 'SESSION']) expect(text).not.toContain(secret)
  })
})
