// The lab key: the lab's powers (minting tokens, scenarios, every server's
// recorded traffic, every browser's flows in the inspector) belong to whoever
// runs the lab, never to whoever can reach a port. A script sends
// `Authorization: Bearer <LAB_KEY>`; a browser opens a lab page once with
// `?lab_key=<LAB_KEY>`, which sets an HttpOnly cookie and reloads the page
// without the key in its address (so it stays out of history and Referer).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { secretMatcher } from './constant-time.js'

/** Same name on every port: browsers ignore ports for cookies, and the three servers share one key. */
export const LAB_KEY_COOKIE = 'oauth_lab_key'
export const LAB_KEY_PARAM = 'lab_key'

declare module 'fastify' {
  interface FastifyRequest {
    /** True when the request carries the lab key (header or cookie); computed on first read. */
    readonly labKeyHolder: boolean
  }
}

/** The raw Cookie header's value for one name, without needing @fastify/cookie on every role. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || !header.includes(name)) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The key in the request: Bearer header first, then the cookie. */
function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization
  if (authorization !== undefined && /^bearer /i.test(authorization)) return authorization.slice(7).trim()
  return cookieValue(request.headers.cookie, LAB_KEY_COOKIE)
}

/**
 * Decorates every request with `labKeyHolder` (a getter: nothing runs on
 * requests that never ask) and turns `?lab_key=` on a GET into the cookie.
 */
export function registerLabKey(app: FastifyInstance, key: string): void {
  const holders = new WeakMap<FastifyRequest, boolean>()
  const isKey = secretMatcher(key)
  app.decorateRequest('labKeyHolder', {
    getter(this: FastifyRequest): boolean {
      let holder = holders.get(this)
      if (holder === undefined) {
        const given = presentedKey(this)
        holder = given !== undefined && isKey(given)
        holders.set(this, holder)
      }
      return holder
    },
  })
  // Callback style: this runs on every request of every server, and an async
  // hook costs a promise and a trip through the microtask queue even when it
  // returns at once (the common case: no ?lab_key= in the URL).
  app.addHook('onRequest', (request, reply, done) => {
    // A cheap substring test first: this runs on every request.
    if (request.method !== 'GET' || !request.url.includes(`${LAB_KEY_PARAM}=`)) return done()
    const url = new URL(request.url, 'http://lab.invalid')
    const given = url.searchParams.get(LAB_KEY_PARAM)
    if (given === null) return done()
    url.searchParams.delete(LAB_KEY_PARAM)
    const clean = `${url.pathname}${url.search}`
    // Answered here: a callback-style hook that sends does not call done.
    if (!isKey(given)) {
      reply.code(401).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(keyPage(clean))
      return
    }
    // SameSite=Strict: never sent on a request another site starts.
    reply.header('set-cookie', `${LAB_KEY_COOKIE}=${given}; Path=/; HttpOnly; SameSite=Strict`)
    reply.header('cache-control', 'no-store').redirect(clean, 303)
  })
}

/** A plain page, shown to a browser without the key, that reveals nothing and says how to get it. */
function keyPage(path: string): string {
  const safePath = path.replace(/[^A-Za-z0-9/_.~?=&%-]/g, '')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lab key needed · oauth-lab</title>
<link rel="stylesheet" href="/assets/lab.css"></head><body><main><h1>Lab key needed</h1>
<p>This page belongs to whoever runs the lab. Open the link that <code>npm start</code> printed
(it ends in <code>?${LAB_KEY_PARAM}=…</code>), or add <code>?${LAB_KEY_PARAM}=&lt;LAB_KEY&gt;</code>
to <code>${safePath}</code> once: your browser then keeps the key in a cookie.</p></main></body></html>`
}

/**
 * preHandler for a lab power: 401 without the key. Scripts get RFC 6750-style
 * JSON and a Bearer challenge; browsers (Accept: text/html) the page above.
 */
export async function requireLabKey(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.labKeyHolder) return
  reply.code(401).header('cache-control', 'no-store')
  if ((request.headers.accept ?? '').includes('text/html')) {
    return reply.type('text/html; charset=utf-8').send(keyPage(request.url.split('?')[0] ?? '/'))
  }
  return reply.header('www-authenticate', 'Bearer realm="oauth-lab"').send({
    error: 'lab_key_required',
    error_description: 'This lab route needs the lab key (Authorization: Bearer <LAB_KEY>).',
  })
}
