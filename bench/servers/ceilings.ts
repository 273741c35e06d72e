// The ceilings: bare Fastify doing only the unavoidable work of each lab
// endpoint, in a process of its own like the lab's servers. What the lab
// reaches of these is what its own code costs on top.
//   POST /form    parse a form body and check HTTP Basic (the token endpoint's floor)
//   POST /sign    the same plus an ES256 JWT access token (RFC 9068 claims)
//   GET  /verify  one ES256 jwtVerify of a bearer token (the resource endpoint's floor)

import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import { SignJWT, generateKeyPair, jwtVerify } from 'jose'

const ISSUER = 'http://localhost:9001'
const AUDIENCE = 'http://localhost:9002'
const BASIC = `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`

const { privateKey, publicKey } = await generateKeyPair('ES256')
const app = Fastify({ logger: false })
await app.register(fastifyFormbody)

// The same checks every real token endpoint makes: who is asking, and for what.
function refuse(request: FastifyRequest<{ Body: Record<string, string> }>, reply: FastifyReply): boolean {
  if (request.headers.authorization !== BASIC) return (reply.code(401).send({ error: 'invalid_client' }), true)
  if (request.body?.grant_type !== 'client_credentials')
    return (reply.code(400).send({ error: 'unsupported_grant_type' }), true)
  reply.header('cache-control', 'no-store')
  return false
}

app.post<{ Body: Record<string, string> }>('/form', async (request, reply) => {
  if (refuse(request, reply)) return reply
  return { access_token: randomUUID(), token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' }
})

app.post<{ Body: Record<string, string> }>('/sign', async (request, reply) => {
  if (refuse(request, reply)) return reply
  const now = Math.floor(Date.now() / 1000)
  const accessToken = await new SignJWT({ client_id: 'oauth-client-1', scope: 'foo bar' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'ceiling' })
    .setIssuer(ISSUER)
    .setSubject('oauth-client-1')
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(randomUUID())
    .sign(privateKey)
  return { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' }
})

app.get('/verify', async (request, reply) => {
  try {
    const token = (request.headers.authorization ?? '').slice('Bearer '.length)
    const { payload } = await jwtVerify(token, publicKey, {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    })
    return { resource: 'foo', sub: payload.sub, client_id: payload.client_id, scope: payload.scope }
  } catch {
    return reply.code(401).send({ error: 'invalid_token' })
  }
})

app.get('/healthz', async () => ({ status: 'ok' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
