// Break it for MCP (MCP specification 2025-11-25, "Authorization"): a token
// for another resource at the MCP server, a confused-deputy redirect through a
// registered client, and a Client ID Metadata Document that lies about its
// client_id. Real HTTP against the lab's servers, like every attack.

import { buildTokenRequest } from '../oauth-client.js'
import type { Agent, AgentResponse } from './agent.js'
import { accessTokenOf, AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { LYING_DOCUMENT_PATH } from './mcp-document-route.js'
import { authorizationCode } from './play-authorization.js'

/** A native MCP client's loopback redirect URI (RFC 8252 §7.3); never listened on. */
const VICTIM_REDIRECT = 'http://127.0.0.1:53682/callback'
/** Where the attacker would collect codes: its own registered redirect URI. */
const ATTACKER_REDIRECT = 'http://127.0.0.1:6666/steal'

const mcpUrl = (ctx: AttackContext) => `${ctx.config.resource.internalUrl}/mcp`

/** A JSON-RPC tools/list, as an MCP client sends it over Streamable HTTP. */
function callMcp(ctx: AttackContext, label: string, accessToken: string): Promise<AgentResponse> {
  return ctx.agent.send(label, {
    method: 'POST',
    url: mcpUrl(ctx),
    headers: {
      Authorization: `Bearer ${accessToken}`,
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  })
}

interface Registered {
  readonly clientId: string
  readonly registrationUri?: string
  readonly registrationToken?: string
}

async function register(ctx: AttackContext, agent: Agent, label: string, redirectUri: string): Promise<Registered> {
  const response = await agent.send(label, {
    method: 'POST',
    url: `${ctx.config.auth.internalUrl}/register`,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: label,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
    }),
  })
  let body: { client_id?: unknown; registration_client_uri?: unknown; registration_access_token?: unknown } = {}
  try {
    body = JSON.parse(response.body) as typeof body
  } catch {
    body = {}
  }
  if (response.status !== 201 || typeof body.client_id !== 'string')
    throw new AttackSetupError(`Registering a client at POST /register failed with HTTP ${response.status}.`)
  return {
    clientId: body.client_id,
    ...(typeof body.registration_client_uri === 'string' ? { registrationUri: body.registration_client_uri } : {}),
    ...(typeof body.registration_access_token === 'string'
      ? { registrationToken: body.registration_access_token }
      : {}),
  }
}

/** RFC 7592 §2.3: the scene's registrations are deleted, so runs do not push out real clients (100 at most). */
async function unregister(ctx: AttackContext, agent: Agent, client: Registered): Promise<void> {
  if (client.registrationToken === undefined) return
  const { publicUrl, internalUrl } = ctx.config.auth
  const uri = client.registrationUri ?? `${publicUrl}/register/${encodeURIComponent(client.clientId)}`
  await agent.send('Clean-up: delete the registration (RFC 7592)', {
    method: 'DELETE',
    url: uri.startsWith(publicUrl) ? `${internalUrl}${uri.slice(publicUrl.length)}` : uri,
    headers: { Authorization: `Bearer ${client.registrationToken}` },
  })
}

function authorizeUrl(ctx: AttackContext, clientId: string, redirectUri: string): string {
  const url = new URL(`${ctx.config.auth.internalUrl}/authorize`)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'foo',
    state: 'attack-state',
    // RFC 7636 Appendix B's challenge: the request is refused before PKCE matters.
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    resource: `${ctx.config.resource.publicUrl}/mcp`,
  }).toString()
  return url.href
}

export const mcpTokenForOtherResource: Attack = {
  name: 'mcp-token-for-other-resource',
  title: 'MCP: a token for another resource',
  tried:
    'Alice authorizes the client app as usual (no resource parameter, so the token is for the built-in resource server); that token is then sent to the MCP server at /mcp, as a client that reuses one token everywhere would.',
  why: 'The token\u2019s aud names the built-in resource server, not the MCP server, so the MCP server refuses it with 401 invalid_token. A server that accepted tokens issued for others could be handed any token a client ever got (token passthrough, confused deputy). MCP authorization (2025-11-25), Token Audience Binding and Validation: the server must validate that tokens were issued for it; RFC 8707 section 2, RFC 9068 section 4.',
  answeredBy: 'resource server',
  async run(ctx) {
    const authorization = await authorizationCode(ctx)
    const tokenResponse = await ctx.agent.send('Step 5: redeem the code', buildTokenRequest(ctx.config, authorization))
    const token = accessTokenOf(tokenResponse, 'Redeeming the code')
    return callMcp(ctx, 'Attack: tools/list at /mcp with the built-in resource server\u2019s token', token)
  },
}

export const mcpConfusedDeputy: Attack = {
  name: 'mcp-confused-deputy',
  title: 'MCP: confused-deputy redirect through a registered client',
  tried:
    'An MCP client registers itself with its loopback redirect URI. The attacker registers a client of its own with its own redirect URI, then sends the user to the authorization endpoint with the first client\u2019s client_id and the attacker\u2019s redirect_uri, hoping the code (and the user\u2019s consent to a client they trust) is sent to the attacker.',
  why: 'A redirect URI counts only for the client that registered it: the authorization server compares the redirect_uri with the ones registered for that client_id, exactly, and on a mismatch shows an error page and never redirects, since a redirect to an unchecked URI would hand the code, or the error, to the attacker (RFC 6749 sections 3.1.2.4 and 4.1.2.1, RFC 9700 section 4.1; MCP authorization (2025-11-25), Open Redirection and Confused Deputy Problem).',
  answeredBy: 'authorization server',
  async run(ctx) {
    const victim = await register(ctx, ctx.newAgent('MCP client'), 'MCP client registers', VICTIM_REDIRECT)
    const attacker = ctx.newAgent('Attacker')
    const own = await register(ctx, attacker, 'registers its own client', ATTACKER_REDIRECT)
    const answer = await attacker.get(
      'Attack: the victim client\u2019s client_id with the attacker\u2019s redirect_uri',
      authorizeUrl(ctx, victim.clientId, ATTACKER_REDIRECT),
    )
    await unregister(ctx, attacker, own)
    await unregister(ctx, ctx.newAgent('MCP client'), victim)
    return answer
  },
}

export const mcpLyingMetadataDocument: Attack = {
  name: 'mcp-lying-metadata-document',
  title: 'MCP: a metadata document that lies about its client_id',
  tried: `An MCP client\u2019s client_id is the URL of its Client ID Metadata Document (here ${LYING_DOCUMENT_PATH} on the client app). The document says its client_id is another URL, hoping the user consents in the name of a client it is not.`,
  why: 'The authorization server fetches the document at the client_id URL and requires the document\u2019s client_id to be exactly that URL; otherwise the document does not describe this client, and the authorization request ends on an error page, never a redirect (OAuth Client ID Metadata Document sections 3 and 4; MCP authorization (2025-11-25), Client ID Metadata Documents).',
  answeredBy: 'authorization server',
  async run(ctx) {
    const clientId = `${ctx.config.client.publicUrl}${LYING_DOCUMENT_PATH}`
    return ctx.agent.get(
      'Attack: authorize with the lying document\u2019s URL as client_id',
      authorizeUrl(ctx, clientId, VICTIM_REDIRECT),
    )
  },
}
