// A browser's cookie jar, reduced to what the lab's flows need: the Break-it
// agent and the test and bench browsers store each response's Set-Cookie and
// send the Cookie header back. No Domain, Path or Secure matching: the lab's
// cookies are host-only with Path=/ on plain http.

/** One Set-Cookie line, as far as a jar needs it. */
export interface SetCookie {
  readonly name: string
  readonly value: string
  /** Max-Age of zero or less, or an Expires in the past: the server deletes the cookie. */
  readonly expired: boolean
}

export interface CookieJar {
  /** Takes the Set-Cookie lines of a response from `url`. */
  store(url: URL, setCookie: string | readonly string[] | undefined): void
  /** The Cookie header for a request to `url`, or undefined when the jar holds none for its host. */
  header(url: URL): string | undefined
  /** The cookies of `url`'s host, name to value; a live view, changes go both ways. */
  cookies(url: URL): Map<string, string>
}

/** RFC 6265 §5.2: the name=value pair before the first ';', then attributes. */
export function parseSetCookie(line: string, now: number): SetCookie | undefined {
  const [pair = '', ...attributes] = line.split(';')
  const eq = pair.indexOf('=')
  if (eq <= 0) return undefined
  const name = pair.slice(0, eq).trim()
  const value = pair.slice(eq + 1).trim()
  const attribute = (key: string) => {
    const found = attributes.find((a) => a.split('=', 1)[0]?.trim().toLowerCase() === key)
    return found?.slice(found.indexOf('=') + 1).trim()
  }
  // RFC 6265 §5.3 step 3: Max-Age wins over Expires.
  const maxAge = attribute('max-age')
  const expires = attribute('expires')
  const expired =
    maxAge !== undefined && /^-?\d+$/.test(maxAge)
      ? Number(maxAge) <= 0
      : expires !== undefined && Date.parse(expires) <= now
  return { name, value, expired }
}

/**
 * One jar per simulated browser. Cookies are kept per host name, whatever the
 * port (RFC 6265 §8.5): the lab's servers share localhost, which is why their
 * session cookies have different names.
 */
export function createCookieJar(now: () => number = Date.now): CookieJar {
  const hosts = new Map<string, Map<string, string>>()

  function cookies(url: URL): Map<string, string> {
    let jar = hosts.get(url.hostname)
    if (jar === undefined) {
      jar = new Map<string, string>()
      hosts.set(url.hostname, jar)
    }
    return jar
  }

  return {
    cookies,
    store(url, setCookie) {
      const lines = typeof setCookie === 'string' ? [setCookie] : (setCookie ?? [])
      const jar = cookies(url)
      for (const line of lines) {
        const cookie = parseSetCookie(line, now())
        if (cookie === undefined) continue
        // An emptied value is how the lab's servers clear a cookie, as an expiry is.
        if (cookie.expired || cookie.value === '') jar.delete(cookie.name)
        else jar.set(cookie.name, cookie.value)
      }
    },
    header(url) {
      const jar = hosts.get(url.hostname)
      if (jar === undefined || jar.size === 0) return undefined
      return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    },
  }
}
