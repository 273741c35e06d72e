// Fastify options every role shares.

/**
 * Route schemas are compiled by Ajv at start-up. They are fixed in the code
 * and exercised by the tests, so checking them against the JSON Schema
 * meta-schema at every start (which first compiles the meta-schema: about a
 * tenth of a role's start-up CPU) proves nothing new. Ajv's strict mode still
 * refuses unknown keywords and impossible types when a route is compiled.
 */
export const AJV_OPTIONS = { customOptions: { validateSchema: false } } as const

/**
 * The longest a handler may keep a client waiting on purpose: the lab's
 * delayTokenEndpoint scenario (at most 30 s), during which the token
 * request's socket, and the browser's request to the client that waits on it,
 * carry no bytes.
 */
const LONGEST_DELIBERATE_WAIT_MS = 30_000

/**
 * Limits of every role, so a client cannot hold a socket or memory for long
 * (RFC 9110 §15.5.9 408 Request Timeout, §15.5.14 413 Content Too Large).
 * The lab's bodies are small forms and JSON: 64 KiB is far above any of them.
 * Node answers 408 and closes the connection when the headers, or the whole
 * request with its body, take longer than the timeouts; the handler's own
 * time does not count. An idle keep-alive connection closes after 5 s.
 */
export const SERVER_LIMITS = {
  bodyLimit: 64 * 1024,
  /** Headers and body received within 10 s, however slowly they drip. */
  requestTimeout: 10_000,
  /**
   * A socket with no traffic either way for this long is closed. Above the
   * longest deliberate wait, and above the flow inspector's 15 s
   * server-sent-event heartbeat.
   */
  connectionTimeout: LONGEST_DELIBERATE_WAIT_MS + 10_000,
  keepAliveTimeout: 5_000,
  http: {
    /** A connection that sends no complete request head within 10 s (even one that sends nothing) gets 408. */
    headersTimeout: 10_000,
    /**
     * How often Node looks for connections past those two timeouts: its
     * default, 30 s, would let a slow body run 40 s instead of 10.
     */
    connectionsCheckingInterval: 1_000,
  },
} as const
