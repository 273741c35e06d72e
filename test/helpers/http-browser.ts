// A browser stand-in over real HTTP (fetch): follows nothing by itself, keeps
// cookies per host (as browsers do, ignoring the port), and reads forms.

import { createCookieJar } from '../../src/shared/cookie-jar.js'

export interface HttpResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: string
  readonly url: string
}

export function httpBrowser() {
  const jar = createCookieJar()

  async function request(method: string, href: string, form?: Record<string, string>): Promise<HttpResponse> {
    const url = new URL(href)
    const headers: Record<string, string> = { accept: 'text/html' }
    const cookie = jar.header(url)
    if (cookie) headers.cookie = cookie
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(url, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    })
    jar.store(url, res.headers.getSetCookie())
    return { status: res.status, headers: res.headers, body: await res.text(), url: url.href }
  }

  return {
    get: (href: string) => request('GET', href),
    post: (href: string, form: Record<string, string>) => request('POST', href, form),
    /** The Cookie header this browser sends to `href` (e.g. for a stream opened with fetch). */
    cookieFor: (href: string) => jar.header(new URL(href)),
    /** One cookie's value, as this browser holds it for `href`'s host. */
    cookie: (href: string, name: string) => jar.cookies(new URL(href)).get(name),
    /** Resolves a redirect's Location against the URL it came from. */
    location(res: HttpResponse): string {
      const location = res.headers.get('location')
      if (!location) throw new Error(`expected a redirect, got ${res.status}`)
      return new URL(location, res.url).href
    },
  }
}
