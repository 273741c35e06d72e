// What the client app keeps in its server-side session (the browser holds only
// the signed session id in the `oauth_lab_client_sid` cookie).

import type { TokenRequestParams, TokenResponse } from './oauth-client.js'

/** Step 1's secrets, kept until the callback uses them once (RFC 9700 §4.7.1). */
export interface PendingFlow {
  readonly state: string
  readonly codeVerifier: string
  /** Resent unchanged in step 5 (RFC 6749 §4.1.3). */
  readonly redirectUri: string
  /** Step-through mode: the code lifetime asked for in step 1, in seconds (shared/step-through-code.ts). */
  readonly codeLifetime?: number
}

declare module 'fastify' {
  interface Session {
    /** One pending flow per session: a new Connect replaces it. */
    clientPendingFlow?: PendingFlow
    /** Step 6's token response. */
    clientToken?: TokenResponse
    /** Step-through mode: stop before steps 1, 5 and 7 (with step 4's checks) and show the request first. Off when absent. */
    clientStepThrough?: boolean
    /**
     * Step-through mode: the step 5 request shown and waiting for "Send". Kept
     * here, not in the page, so the browser cannot alter it; used once.
     */
    clientPendingTokenRequest?: TokenRequestParams
    /**
     * SHA-256 of the state the last callback used, so that the same callback
     * opened again (a reload) is told apart from a forged one.
     */
    clientUsedState?: string
  }
}
