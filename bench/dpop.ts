// DPoP proofs for the load generator (RFC 9449 §4). A proof is good for one
// request, so each request needs a fresh one; they are signed ahead of each
// window with node:crypto (not while the servers are measured, where the
// signing would take the servers' CPU), and handed out one per request.

import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto'

export interface BenchDpopKey {
  /** `count` fresh proofs for `htm` and `htu` (and `ath` of `accessToken`), one per call; repeats once used up (then refused as replays: counted as failures). */
  pool(htm: string, htu: string, count: number, accessToken?: string): () => string
  /** One fresh proof. */
  proof(htm: string, htu: string, accessToken?: string): string
}

export function benchDpopKey(): BenchDpopKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })).toString(
    'base64url',
  )
  function proof(htm: string, htu: string, accessToken?: string): string {
    const ath = accessToken === undefined ? {} : { ath: createHash('sha256').update(accessToken).digest('base64url') }
    const claims = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...ath }
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
    return `${input}.${signature.toString('base64url')}`
  }
  return {
    proof,
    pool(htm, htu, count, accessToken) {
      const proofs = Array.from({ length: count }, () => proof(htm, htu, accessToken))
      let next = 0
      return () => proofs[next++ % proofs.length]!
    },
  }
}
