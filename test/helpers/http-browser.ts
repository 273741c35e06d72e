// A browser stand-in over real HTTP (fetch): follows nothing by itself, keeps
// cookies per host (as browsers do, ignoring the port), and reads forms.

export interface HttpResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: string
  readonly url: string
}

export function httpBrowser() {
  const jar = new Map<string, Map<string, string>>()

  function cookieHeader(url: URL): string | undefined {
    const cookies = jar.get(url.hostname)
    return cookies && cookies.size ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined
  }

  function store(url: URL, headers: Headers): void {
    const cookies = jar.get(url.hostname) ?? new Map<string, string>()
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
    jar.set(url.hostname, cookies)
  }

  async function request(method: string, href: string, form?: Record<string, string>): Promise<HttpResponse> {
    const url = new URL(href)
    const headers: Record<string, string> = { accept: 'text/html' }
    const cookie = cookieHeader(url)
    if (cookie) headers.cookie = cookie
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(url, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    })
    store(url, res.headers)
    return { status: res.status, headers: res.headers, body: await res.text(), url: url.href }
  }

  return {
    get: (href: string) => request('GET', href),
    post: (href: string, form: Record<string, string>) => request('POST', href, form),
    /** The Cookie header this browser sends to `href` (e.g. for a stream opened with fetch). */
    cookieFor: (href: string) => cookieHeader(new URL(href)),
    /** One cookie's value, as this browser holds it for `href`'s host. */
    cookie: (href: string, name: string) => jar.get(new URL(href).hostname)?.get(name),
    /** Resolves a redirect's Location against the URL it came from. */
    location(res: HttpResponse): string {
      const location = res.headers.get('location')
      if (!location) throw new Error(`expected a redirect, got ${res.status}`)
      return new URL(location, res.url).href
    },
  }
}
