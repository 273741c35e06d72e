// The front-channel part of a flow, as a user in a browser does it over real
// HTTP: open the authorization URL, sign in, allow (remembering the decision),
// and stop at the redirect to the client's callback. Bounded: a few hops at most.

import { hiddenField } from '../helpers/inject-browser.js'
import type { HttpResponse, httpBrowser } from '../helpers/http-browser.js'

export type HttpBrowser = ReturnType<typeof httpBrowser>

export interface Credentials {
  readonly username: string
  readonly password: string
}

const MAX_HOPS = 8

function describe(res: HttpResponse): string {
  return `${res.status} ${res.url}: ${res.body.slice(0, 300)}`
}

/**
 * Walks from `authorizeUrl` to the callback: login page (if not signed in),
 * consent page (if no remembered decision covers the scopes; an allow is
 * remembered), then the redirect. Returns the callback URL (with code, state, iss or an error).
 */
export async function authorizeInBrowser(
  browser: HttpBrowser,
  authorizeUrl: URL | string,
  user: Credentials,
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  const start = new URL(authorizeUrl)
  const authOrigin = start.origin
  let res = await browser.get(start.href)
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (res.status === 302 || res.status === 303) {
      const next = new URL(browser.location(res))
      // Anything that leaves the authorization server is the callback.
      if (next.origin !== authOrigin) return next
      res = await browser.get(next.href)
    } else if (res.status === 200 && res.body.includes('name="password"')) {
      res = await browser.post(`${authOrigin}/login`, {
        _csrf: hiddenField(res.body, '_csrf'),
        interaction: hiddenField(res.body, 'interaction'),
        username: user.username,
        password: user.password,
      })
      if (res.status !== 303) throw new Error(`sign-in as ${user.username} failed: ${describe(res)}`)
    } else if (res.status === 200 && res.body.includes('name="decision"')) {
      res = await browser.post(`${authOrigin}/consent`, {
        _csrf: hiddenField(res.body, '_csrf'),
        interaction: hiddenField(res.body, 'interaction'),
        decision,
        // Remember an allow (as a user usually does); never a deny.
        ...(decision === 'allow' ? { remember: 'on' } : {}),
      })
    } else {
      throw new Error(`unexpected page in the authorization flow: ${describe(res)}`)
    }
  }
  throw new Error(`no callback after ${MAX_HOPS} hops from ${start.href}`)
}
