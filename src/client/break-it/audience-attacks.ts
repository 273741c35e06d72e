// Break it at step 7: a genuine, unexpired, well-signed token, issued for
// another resource server (RFC 8707), presented to this one.

import { MCP_PATH } from '../../shared/builtin-data.js'
import { buildResourceRequest, buildTokenRequest } from '../oauth-client.js'
import { accessTokenOf, type Attack } from './attack.js'
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
    return ctx.agent.backChannel(
      'Attack: step 7 at /resource with the MCP server’s token',
      buildResourceRequest(config, token),
    )
  },
}
