// The client's back channel (step 5 to the token endpoint, step 7 to the
// resource server) over undici's request() on a keep-alive Agent. Not fetch:
// the WHATWG machinery (web streams, Request/Response/Headers objects, several
// AbortSignals per call) cost about a quarter of the client's CPU under load,
// and none of it is needed to send a request that is already plain data.

import type { Agent } from 'undici'
import type { BackChannel, BackChannelAnswer, OutgoingRequest } from './oauth-client.js'

/** Back-channel calls give up after this long rather than hang the browser's request. */
export const BACK_CHANNEL_TIMEOUT_MS = 10_000

export interface BackChannelOptions {
  /** The whole call's deadline, connect to last body byte; tests pass a short one. */
  readonly timeoutMs?: number
}

/** A back channel and the Agent behind it: close() it with the app that owns it. */
export interface OwnedBackChannel {
  readonly send: BackChannel
  close(): Promise<void>
}

/**
 * One keep-alive Agent per app: connections to the two internal servers are
 * reused across flows instead of opened per call.
 */
export function createBackChannel(options: BackChannelOptions = {}): OwnedBackChannel {
  const timeoutMs = options.timeoutMs ?? BACK_CHANNEL_TIMEOUT_MS
  // undici is loaded at the first call, not at start-up: reading it costs the
  // client about 0.1 s of CPU, a tenth of `npm start`'s budget (README, Performance).
  let undici: Promise<Undici> | undefined
  let closed = false
  const load = () => (undici ??= import('undici').then(({ Agent, request }) => ({ agent: new Agent(), request })))
  return {
    send: async (outgoing) => {
      if (closed) throw new Error('the back channel is closed')
      return send(await load(), outgoing, timeoutMs)
    },
    close: async () => {
      closed = true
      if (undici) await (await undici).agent.close()
    },
  }
}

interface Undici {
  readonly agent: Agent
  readonly request: typeof import('undici').request
}

/**
 * Sends the request exactly as built: undici adds only the transport headers
 * host, connection and content-length (step-through's preview says so). It
 * throws on a network failure or timeout, as fetch did; the callers turn that
 * into data (oauth-client.ts).
 */
async function send(
  { agent, request }: Undici,
  outgoing: OutgoingRequest,
  timeoutMs: number,
): Promise<BackChannelAnswer> {
  const response = await request(outgoing.url, {
    dispatcher: agent,
    method: outgoing.method,
    headers: outgoing.headers,
    ...(outgoing.body === undefined ? {} : { body: outgoing.body }),
    // One deadline for the whole call, as fetch had. Not the Agent's
    // headersTimeout/bodyTimeout: those run on undici's coarse timers (about a
    // second) and each bound only one phase of the call.
    signal: AbortSignal.timeout(timeoutMs),
  })
  // request() follows no redirect (this Agent has no redirect interceptor), and
  // must not: following one could resend the code or the token elsewhere.
  // Reading the body to its end also frees the connection for the next call.
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() }
}
