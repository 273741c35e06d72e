// Which registered redirect URI a request's redirect_uri names. Exact string
// comparison (RFC 6749 §3.1.2.3, RFC 9700 §2.1), with the one exception native
// apps need: a loopback IP literal registered without a port matches any port
// (RFC 8252 §7.3), since the app learns its port from the OS at each run.

// RFC 8252 §8.3: only the IP literals are loopback here; "localhost" may
// resolve elsewhere, so a registered http://localhost/… still matches exactly.
// The port must end the authority: `:80@evil.test` is userinfo, not a port.
const LOOPBACK_WITH_PORT = /^http:\/\/(127\.0\.0\.1|\[::1\]):([0-9]{1,5})(?=[/?]|$)/

/** The sent URI with its loopback port removed, or undefined when it has none to remove. */
function withoutLoopbackPort(sent: string): string | undefined {
  const match = LOOPBACK_WITH_PORT.exec(sent)
  if (!match) return undefined
  const [prefix, host, port] = match
  const number = Number(port)
  if (host === undefined || number < 1 || number > 65535) return undefined
  return `http://${host}${sent.slice(prefix.length)}`
}

/**
 * True when `sent` is one of `registered`, or a loopback URI registered
 * without a port and sent with one. Everything but the port (scheme, host,
 * path, query) still compares character for character.
 */
export function redirectUriRegistered(registered: readonly string[], sent: string): boolean {
  if (registered.includes(sent)) return true
  const portless = withoutLoopbackPort(sent)
  return portless !== undefined && registered.includes(portless)
}
