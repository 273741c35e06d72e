// HTTP Basic client credentials as RFC 6749 §2.3.1 wants them: what the client
// app sends at step 5 and the resource server sends to /introspect.

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
export function formUrlEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice('v='.length)
}

/**
 * RFC 6749 §2.3.1: client id and secret are each form-encoded, joined by ':'
 * and base64-encoded. Without the encoding an id containing ':' would be ambiguous.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
}
