// The MCP server at `/mcp` (Streamable HTTP transport), protected as the MCP
// authorization specification (2025-11-25) asks of an MCP server:
// - every request carries a bearer token for this server ("Token Handling";
//   RFC 8707 audience), else 401 with `resource_metadata` (RFC 9728 §5.1) and
//   the `scope` to ask for (RFC 6750 §3);
// - a tool call whose scope the token lacks gets 403 `insufficient_scope`
//   naming the scopes to ask for ("Scope Challenge Handling": step-up);
// - its protected resource metadata at the path-inserted location (RFC 9728 §3.1).

import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { MCP_PATH } from '../../shared/builtin-data.js'
import type { LabConfig } from '../../shared/config.js'
import { insufficientScope, sendBearerError } from '../../shared/bearer-errors.js'
import type { CheckToken } from '../check-token.js'
import { resourceMetadataFor, resourceMetadataUrl } from '../metadata.js'
import { scopeIncludes } from '../require-scope.js'
import type { ResourceDpop } from '../dpop.js'
import { verifyToken } from '../verify-token.js'
import { buildMcpServer } from './mcp-server.js'
import { mcpTools, toolsCalled, type McpTool } from './tools.js'

export interface McpRouteOptions {
  readonly config: LabConfig
  /** The resource server's token checker; the route adds its own audience check (RFC 8707). */
  readonly checkToken: CheckToken
  /** DPoP-bound tokens too (RFC 9449 §7), as at /resource. */
  readonly dpop?: ResourceDpop
}

/** The MCP server's resource identifier: the URL of its endpoint (RFC 8707 §2, RFC 9728 §1.2). */
export function mcpResourceIdentifier(config: LabConfig): string {
  return `${config.resource.publicUrl}${MCP_PATH}`
}

export async function mcpRoute(app: FastifyInstance, opts: McpRouteOptions): Promise<void> {
  const identifier = mcpResourceIdentifier(opts.config)
  const tools = mcpTools(opts.config.resource.requiredScope)
  const scopes = [...new Set(tools.map((tool) => tool.scope))]
  const metadataUrl = resourceMetadataUrl(identifier)
  const document = resourceMetadataFor(opts.config, { resource: identifier, scopes, name: 'oauth-lab MCP server' })
  // The first tool's scope is what a client needs to start; the others come by step-up.
  const hints = { resourceMetadata: metadataUrl, scope: tools[0]?.scope ?? scopes.join(' ') }

  app.get(`/.well-known/oauth-protected-resource${new URL(identifier).pathname}`, async (_request, reply) => {
    reply.type('application/json; charset=utf-8')
    return document
  })

  const preHandler = [
    verifyToken(opts.checkToken, identifier, { hints, dpop: opts.dpop }),
    requireToolScopes(tools, metadataUrl),
  ]
  app.post(MCP_PATH, { preHandler }, (request, reply) => answerMcp(request, reply, tools, identifier))
  // Stateless server: no stream to open with GET and no session to end with DELETE (Streamable HTTP transport).
  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(405)
      .header('allow', 'POST')
      .send({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Method not allowed: this MCP server is stateless' },
        id: null,
      })
  app.get(MCP_PATH, { preHandler: preHandler.slice(0, 1) }, notAllowed)
  app.delete(MCP_PATH, { preHandler: preHandler.slice(0, 1) }, notAllowed)
}

/**
 * MCP authorization, "Scope Challenge Handling": a call to a tool whose scope
 * the token lacks is refused before the tool runs, with 403 and the scopes to
 * ask for: those the token has plus the missing ones, so a client that asks
 * for exactly that scope keeps what it could already do.
 */
function requireToolScopes(tools: readonly McpTool[], resourceMetadata: string): preHandlerAsyncHookHandler {
  const byName = new Map(tools.map((tool) => [tool.name, tool]))
  return async function checkToolScopes(request, reply) {
    const granted = request.accessToken?.scope ?? ''
    const missing = toolsCalled(request.body)
      .map((name) => byName.get(name)?.scope)
      .filter((scope): scope is string => scope !== undefined && !scopeIncludes(granted, scope))
    if (missing.length === 0) return undefined
    const wanted = [...new Set([...granted.split(' ').filter(Boolean), ...missing])].join(' ')
    const failure = insufficientScope(wanted, `this tool needs the ${missing.join(' ')} scope`)
    return sendBearerError(reply, { ...failure, resourceMetadata })
  }
}

async function answerMcp(
  request: FastifyRequest,
  reply: FastifyReply,
  tools: readonly McpTool[],
  identifier: string,
): Promise<FastifyReply> {
  const caller = request.accessToken!
  const server = buildMcpServer(tools, caller)
  // JSON answers rather than a server-sent event stream: every tool answers at once.
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  try {
    await server.connect(transport)
    const response = await transport.handleRequest(webRequest(request, identifier), {
      parsedBody: request.body,
      authInfo: {
        // The tools answer from the verified claims; the token itself is not handed on.
        token: '(checked)',
        clientId: caller.client_id,
        scopes: caller.scope.split(' ').filter(Boolean),
        resource: new URL(identifier),
        ...(caller.exp === undefined ? {} : { expiresAt: caller.exp }),
      },
    })
    reply.code(response.status)
    response.headers.forEach((value, name) => void reply.header(name, value))
    reply.header('cache-control', 'no-store')
    return await reply.send(response.status === 202 ? undefined : await response.text())
  } finally {
    await transport.close()
    await server.close()
  }
}

/** The SDK reads the method and headers (Accept, protocol version); the body was parsed already. */
function webRequest(request: FastifyRequest, identifier: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value)
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v)
  }
  return new Request(identifier, { method: request.method, headers })
}
