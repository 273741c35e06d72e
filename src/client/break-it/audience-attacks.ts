// Break it at step 7: a genuine, unexpired, well-signed token, issued for
// another resource server (RFC 8707), presented to this one.

import { MCP_PATH } from '../../shared/builtin-data.js'
import { buildResourceRequest, buildTokenRequest, type OutgoingRequest } from '../oauth-client.js'
import { accessTokenOf, type Attack, type AttackContext } from './attack.js'
import { authorizationCode } from './play-authorization.js'

export const tokenForAnotherAudience: Attack = {
  name: 'token-for-another-audience',
  title: 'Token for another audience',
  tried:
    'Alice authorizes the client with resource=<resource server>/mcp (RFC 8707), so the token issued is for the lab’s MCP server. That real token, with scope foo, is then sent to GET /resource, a different resource server.',
  why: 'Every access token names the resource server it is for in its aud claim (RFC 8707 section 2, RFC 9068 section 3), and a resource server must refuse a token whose aud is not its own identifier (RFC 9068 section 4). Its signature, issuer, expiry and scope are all fine; only the audience is wrong, and that is enough for 401 invalid_token (RFC 6750 section 3.1). Otherwise any server a token was sent to could replay it at every other one (RFC 9700 section 2.3).',
  answeredBy: 'resource server',
  async run(ctx) {
    const { config } = ctx
    const authorization = await authorizationCode(ctx, { resource: `${config.resource.publicUrl}${MCP_PATH}` })
    const tokenResponse = await ctx.agent.backChannel(
      'Step 5: redeem the code (the token is for the MCP server)',
      buildTokenRequest(config, authorization),
    )
    const token = accessTokenOf(tokenResponse, 'Redeeming the code')
    const answer = await ctx.agent.backChannel(
      'Attack: step 7 at /resource with the MCP server’s token',
      buildResourceRequest(config, token),
    )
    const response = await ctx.agent.backChannel(
      'Afterwards: the same token at the MCP server it was issued for (tools/list)',
      toolsList(ctx, token),
    )
    return {
      answer,
      aftermath: { title: 'The same token at the MCP server', response, lesson: ownAudienceLesson(response.status) },
    }
  },
}

/** A JSON-RPC tools/list over Streamable HTTP, as an MCP client sends it (MCP 2025-11-25, Transports). */
function toolsList(ctx: AttackContext, accessToken: string): OutgoingRequest {
  return {
    method: 'POST',
    url: `${ctx.config.resource.internalUrl}${MCP_PATH}`,
    headers: {
      Authorization: `Bearer ${accessToken}`,
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  }
}

function ownAudienceLesson(status: number): string {
  if (status === 200) {
    return 'HTTP 200: the MCP server accepts the very token the built-in resource server refused. Nothing is wrong with the token but where it was sent: each token is for one audience (RFC 8707 section 2), so a token that leaks from one resource server, or that one resource server is handed, is worthless at every other.'
  }
  return `HTTP ${status}: the MCP server did not accept the token either; see the flow inspector for its answer.`
}
