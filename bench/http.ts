// A browser, reduced to what a flow needs: a cookie jar, redirects followed by
// hand (each hop is a request of its own, as in a browser's network panel),
// and the hidden fields of a form. undici is the client because it costs the
// least CPU per request, and the load generator shares the machine's two
// cores with the servers it measures.

import { Agent, request } from 'undici'

/**
 * Cookies by name. The lab's three servers share one host, and browsers do not
 * separate cookies by port, so one jar per simulated browser is what a browser
 * does; the names differ per server (oauth_lab_as_sid, oauth_lab_client_sid).
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>()

  /** Takes every Set-Cookie of a response; Max-Age=0 or a past Expires deletes. */
  store(setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return
    for (const header of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = '', ...attributes] = header.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.trim().split('=')
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now()
        return false
      })
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  /** The Cookie header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)
  }
}

/** The value of `<input ... name="NAME" value="VALUE">` in a page; attributes in either order. */
export function hiddenField(html: string, name: string): string | undefined {
  const inputs = html.match(/<input\b[^>]*>/g) ?? []
  for (const input of inputs) {
    if (!new RegExp(`\\bname="${name}"`).test(input)) continue
    const value = /\bvalue="([^"]*)"/.exec(input)?.[1]
    if (value !== undefined) return decodeEntities(value)
  }
  return undefined
}

function decodeEntities(text: string): string {
  return text.replace(
    /&(#39|quot|amp|lt|gt|#x2F|#47);/g,
    (_m, e: string) => ({ '#39': "'", quot: '"', amp: '&', lt: '<', gt: '>', '#x2F': '/', '#47': '/' })[e] ?? _m,
  )
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

export interface Response {
  readonly status: number
  readonly location?: string
  readonly body: string
}

/**
 * One browser's HTTP: keep-alive connections (as a browser keeps them), the
 * jar's cookies on every request, Set-Cookie stored from every response.
 * `localhost` is dialled as 127.0.0.1: the lab's public URLs say localhost.
 */
export class Browser {
  readonly jar = new CookieJar()
  constructor(private readonly agent: Agent) {}

  async get(url: string, readBody = true): Promise<Response> {
    return this.send('GET', url, undefined, readBody)
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.send('POST', url, form(fields), true, {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    })
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    readBody: boolean,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra }
    const cookie = this.jar.header()
    if (cookie !== undefined) headers.cookie = cookie
    const response = await request(url.replace('//localhost:', '//127.0.0.1:'), {
      method,
      headers,
      body,
      dispatcher: this.agent,
    })
    this.jar.store(response.headers['set-cookie'])
    const location = response.headers.location
    // The body is always drained, so the connection can carry the next request.
    const text = readBody ? await response.body.text() : (await response.body.dump(), '')
    return { status: response.statusCode, location: typeof location === 'string' ? location : undefined, body: text }
  }
}

/** Shared connections for many simulated browsers: cookies are per Browser, sockets are pooled. */
export function createAgent(connectionsPerOrigin: number): Agent {
  return new Agent({ connections: connectionsPerOrigin, keepAliveTimeout: 30_000, pipelining: 1 })
}

/** A location, made absolute against the URL that answered with it. */
export function resolve(location: string | undefined, base: string): string {
  if (location === undefined) throw new Error(`expected a redirect from ${base}`)
  return new URL(location, base).href
}

export function expectStatus(response: Response, status: number | readonly number[], step: string): void {
  const ok = typeof status === 'number' ? response.status === status : status.includes(response.status)
  if (!ok) throw new Error(`${step}: HTTP ${response.status} ${response.body.slice(0, 200).replace(/\s+/g, ' ')}`)
}
