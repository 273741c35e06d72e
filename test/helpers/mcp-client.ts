// The MCP SDK's OAuth client provider, in memory, for tests that run the SDK's
// client against a started lab: the test drives the "browser" itself (the
// authorization URLs the SDK would open are queued in `pending`).

import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'

// Never listened on: the flow stops at the redirect to it (a native client's loopback port).
export const MCP_TEST_REDIRECT = 'http://127.0.0.1:53682/callback'

export function memoryProvider(clientName: string, clientInformation?: OAuthClientInformationMixed) {
  let client = clientInformation
  let tokens: OAuthTokens | undefined
  let verifier = ''
  const pending: URL[] = []
  const metadata: OAuthClientMetadata = {
    client_name: clientName,
    redirect_uris: [MCP_TEST_REDIRECT],
    // No refresh token: at a 403 the SDK (1.32) first refreshes without `scope`, which cannot
    // widen a grant (RFC 6749 §6), and gives up; without one it goes to the authorization endpoint.
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }
  const provider: OAuthClientProvider = {
    redirectUrl: MCP_TEST_REDIRECT,
    clientMetadata: metadata,
    clientInformation: () => client,
    saveClientInformation: (info) => void (client = info),
    tokens: () => tokens,
    saveTokens: (saved) => void (tokens = saved),
    redirectToAuthorization: (url) => void pending.push(url),
    saveCodeVerifier: (v) => void (verifier = v),
    codeVerifier: () => verifier,
  }
  return { provider, pending, tokens: () => tokens, client: () => client }
}
