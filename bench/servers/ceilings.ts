// The ceilings: bare Fastify doing only the unavoidable work of each lab
// endpoint, in a process of its own like the lab's servers. What the lab
// reaches of these is what its own code costs on top.
//   POST /form    parse a form body and check HTTP Basic (the token endpoint's floor)
//   POST /sign    the same plus an ES256 JWT access token (RFC 9068 claims)
//   GET  /verify  one ES256 jwtVerify of a bearer token (the resource endpoint's floor)
//   POST /sign-verify   /sign plus one ES256 jwtVerify of the DPoP proof (RFC 9449 §5: the DPoP token endpoint's floor)
//   GET  /verify-proof  /verify plus one ES256 jwtVerify of the DPoP proof (RFC 9449 §7: the DPoP resource's floor)

import { createPublicKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import { SignJWT, decodeProtectedHeader, generateKeyPair, jwtVerify } from 'jose'

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

/** The ES256 access token of /sign. */
async function accessToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ client_id: 'oauth-client-1', scope: 'foo bar' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'ceiling' })
    .setIssuer(ISSUER)
    .setSubject('oauth-client-1')
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(randomUUID())
    .sign(privateKey)
}

app.post<{ Body: Record<string, string> }>('/sign', async (request, reply) => {
  if (refuse(request, reply)) return reply
  return { access_token: await accessToken(), token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' }
})

// A client signs many proofs with one key: its public key is read once, as the lab's cache does.
const proofKeys = new Map<string, KeyObject>()

/** One ES256 verification of the request's DPoP proof with the key in its own header; false when it fails. */
async function proofVerifies(request: FastifyRequest): Promise<boolean> {
  const proof = request.headers.dpop
  if (typeof proof !== 'string') return false
  try {
    const { jwk } = decodeProtectedHeader(proof)
    const id = JSON.stringify(jwk)
    let key = proofKeys.get(id)
    if (key === undefined) {
      if (proofKeys.size >= 100) proofKeys.clear()
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      proofKeys.set(id, key)
    }
    await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: ['ES256'] })
    return true
  } catch {
    return false
  }
}

app.post<{ Body: Record<string, string> }>('/sign-verify', async (request, reply) => {
  if (refuse(request, reply)) return reply
  if (!(await proofVerifies(request))) return reply.code(400).send({ error: 'invalid_dpop_proof' })
  return { access_token: await accessToken(), token_type: 'DPoP', expires_in: 3600, scope: 'foo bar' }
})

app.get('/verify', async (request, reply) => verifyToken(request, reply, 'Bearer '))

app.get('/verify-proof', async (request, reply) => {
  if (!(await proofVerifies(request))) return reply.code(401).send({ error: 'invalid_dpop_proof' })
  return verifyToken(request, reply, 'DPoP ')
})

/** One ES256 jwtVerify of the access token in the Authorization header. */
async function verifyToken(request: FastifyRequest, reply: FastifyReply, scheme: string) {
  try {
    const token = (request.headers.authorization ?? '').slice(scheme.length)
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
}

app.get('/healthz', async () => ({ status: 'ok' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
