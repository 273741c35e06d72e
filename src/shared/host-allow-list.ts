// The Host allow-list of every role. A page on any site can make the browser
// that shows it send requests to the lab on loopback, and by DNS rebinding
// (its own name resolving to 127.0.0.1 after the page has loaded) read the
// answers as same-origin: the Host header is then the attacker's name, since
// the browser believes it is talking to the attacker's site. Answering only
// the names the lab is really reached by closes that door (RFC 9110 §7.4 and
// §15.5.20: 421 Misdirected Request for a request "directed at a server that
// is not able to produce a response" for that authority).

import type { FastifyInstance } from 'fastify'

/** The names every server answers to on the port it listens on, whatever its URLs say. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const

/** RFC 9110 §4.2.1, §4.2.2: the port a Host header may leave out. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' }

const MISDIRECTED_BODY =
  '421 Misdirected Request: this oauth-lab server answers only to its own host names ' +
  '(its public and internal URLs, localhost, or an ALLOWED_HOSTS entry).\n'

/** Adds `name:port`, and `name` alone when the port is the scheme's default (as browsers send it). */
function addHost(hosts: Set<string>, name: string, port: string, defaultPorts: readonly string[]): void {
  hosts.add(`${name}:${port}`)
  if (defaultPorts.includes(port)) hosts.add(name)
}

/** The Host values of a URL: its host:port, and its bare host name when the port is the scheme's default. */
function urlHosts(hosts: Set<string>, url: string): void {
  const parsed = new URL(url)
  const defaultPort = DEFAULT_PORTS[parsed.protocol]
  // WHATWG URL drops a default port (`port === ''`) and lower-cases the host name.
  addHost(hosts, parsed.hostname, parsed.port || (defaultPort ?? ''), defaultPort ? [defaultPort] : [])
}

/**
 * The Host values a server answers to, apart from loopback names on its
 * listening port (known only once it listens): its URLs and the
 * ALLOWED_HOSTS entries (`host:port`, lower-cased by the config). An entry's
 * port 80 or 443 may also be left out by the client.
 */
export function configuredHosts(urls: readonly string[], allowedHosts: readonly string[]): Set<string> {
  const hosts = new Set<string>()
  for (const url of urls) urlHosts(hosts, url)
  for (const entry of allowedHosts) {
    const colon = entry.lastIndexOf(':')
    addHost(hosts, entry.slice(0, colon).toLowerCase(), entry.slice(colon + 1), ['80', '443'])
  }
  return hosts
}

/** The Host values of the loopback names on `port`. */
export function loopbackHosts(port: number): string[] {
  const hosts = new Set<string>()
  for (const name of LOOPBACK_NAMES) addHost(hosts, name, String(port), ['80'])
  return [...hosts]
}

/** True when `host` (a raw Host header) is in `hosts`, compared case-insensitively. */
function hostAllowed(hosts: ReadonlySet<string>, host: string | undefined): boolean {
  // The raw header first: browsers and Node's clients send it lower-case, so one lookup is the usual cost.
  return host !== undefined && (hosts.has(host) || hosts.has(host.toLowerCase()))
}

/**
 * Answers 421 to any request whose Host is not one of the server's own names.
 * Register it first, before any other hook: the refusal is written straight
 * to the socket, so no other hook runs for it (not the flow recorder, not
 * sessions, not the lab key) and no route is reached.
 */
export function registerHostAllowList(
  app: FastifyInstance,
  urls: readonly string[],
  allowedHosts: readonly string[],
): void {
  const hosts = configuredHosts(urls, allowedHosts)
  // With port 0 the listening port is known only after listen(): read it at
  // the first request that misses, then keep it (a server listens once).
  let listeningPortKnown = false
  app.addHook('onRequest', (request, reply, done) => {
    const host = request.headers.host
    if (hostAllowed(hosts, host)) return done()
    if (!listeningPortKnown) {
      const address = app.server.address()
      // Not listening: no network traffic can reach this server, only
      // inject() from tests (whose default Host is localhost:80, whatever
      // the config says), and DNS rebinding needs a socket. Let them through.
      if (address === null) return done()
      // A pipe (string address) has no port: only the configured names apply.
      if (typeof address !== 'string') for (const name of loopbackHosts(address.port)) hosts.add(name)
      listeningPortKnown = true
      if (hostAllowed(hosts, host)) return done()
    }
    // Straight to the socket, past onSend and onResponse: nothing of the lab sees this request.
    reply.hijack()
    reply.raw.writeHead(421, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(MISDIRECTED_BODY),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // RFC 9110 §15.5.20: the client may retry over a different connection.
      connection: 'close',
    })
    reply.raw.end(MISDIRECTED_BODY)
  })
}
