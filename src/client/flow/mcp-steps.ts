// The MCP authorization chain (MCP specification 2025-11-25, "Authorization"),
// as seven numbered steps of its own: what an MCP client does, from the first
// 401 to the tool call, and the clause of the spec each step satisfies.

import type { StepText } from './steps.js'

export const MCP_STEPS: readonly StepText[] = [
  {
    n: 1,
    title: 'The MCP server answers 401 with its challenge',
    what:
      'The MCP client calls the MCP server without a token. The server answers 401 with WWW-Authenticate: Bearer, ' +
      'whose resource_metadata names its protected resource metadata document and whose scope says what to ask for.',
    rfc: 'MCP authorization (2025-11-25): Protected Resource Metadata Discovery; RFC 9728 §5.1 (WWW-Authenticate); RFC 6750 §3',
    look: 'The 401 and its WWW-Authenticate: resource_metadata and scope.',
  },
  {
    n: 2,
    title: 'The client reads the protected resource metadata',
    what:
      'The MCP client fetches the document named by resource_metadata (or the well-known URL built from the MCP ' +
      'server\u2019s URL). It names the resource identifier (what the client must send as resource) and the ' +
      'authorization servers that issue tokens for it.',
    rfc: 'RFC 9728 §3 (protected resource metadata); MCP authorization: Authorization Server Location',
    look: 'resource (the MCP server\u2019s identifier) and authorization_servers.',
  },
  {
    n: 3,
    title: 'The client reads the authorization server metadata',
    what:
      'From the issuer named in authorization_servers, the client fetches the authorization server\u2019s metadata: its ' +
      'authorization, token and registration endpoints, code_challenge_methods_supported (PKCE S256 is required) and ' +
      'client_id_metadata_document_supported.',
    rfc: 'RFC 8414 §3; MCP authorization: Authorization Server Metadata Discovery',
    look: 'authorization_endpoint, token_endpoint, registration_endpoint and code_challenge_methods_supported.',
  },
  {
    n: 4,
    title: 'The client registers, or names its metadata document',
    what:
      'The client needs a client_id. Either it registers (POST /register with its redirect URIs; the answer is its ' +
      'client_id), or its client_id is the https URL of a JSON document describing it, which the authorization ' +
      'server fetches during the authorization request.',
    rfc: 'RFC 7591 §3 (dynamic client registration); MCP authorization: Client ID Metadata Documents, Client Registration Approaches',
    look: 'The registration\u2019s redirect_uris and token_endpoint_auth_method, and the client_id it is given.',
  },
  {
    n: 5,
    title: 'The user authorizes the MCP client (PKCE and resource)',
    what:
      'The browser is sent to the authorization endpoint with a PKCE S256 code_challenge and resource naming the MCP ' +
      'server; the user signs in and consents, and the browser goes back to the client\u2019s redirect URI with a code.',
    rfc: 'RFC 6749 §4.1.1; RFC 7636 §4.3 (PKCE); RFC 8707 §2 (resource); MCP authorization: Authorization Code Protection, Resource Parameter Implementation',
    look: 'code_challenge with code_challenge_method=S256, and resource naming the MCP server.',
  },
  {
    n: 6,
    title: 'The client redeems the code for a token for the MCP server',
    what:
      'The client POSTs the code, its code_verifier and resource again to the token endpoint. The access token it gets ' +
      'is for the MCP server only: its aud is the MCP server\u2019s resource identifier.',
    rfc: 'RFC 6749 §4.1.3; RFC 7636 §4.5; RFC 8707 §2.2; MCP authorization: Token Audience Binding and Validation',
    look: 'code_verifier and resource in the form; the token\u2019s aud below.',
  },
  {
    n: 7,
    title: 'The client calls the MCP server with the token',
    what:
      'Every MCP request (initialize, tools/list, tools/call) carries Authorization: Bearer. The server checks the ' +
      'token, its audience above all: a token issued for another resource is refused with 401 invalid_token. A tool ' +
      'that needs more scope answers 403 insufficient_scope, and the client steps up: a new authorization for the wider scope.',
    rfc: 'MCP authorization: Access Token Usage, Token Handling, Scope Challenge Handling; RFC 6750 §2.1, §3.1',
    look: 'Authorization: Bearer on each JSON-RPC call, and the answer (a 403 insufficient_scope asks for a step-up).',
  },
]
