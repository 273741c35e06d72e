// One MCP server per request (the SDK's stateless Streamable HTTP pattern):
// nothing is kept between requests, so memory does not grow with callers,
// and each tool answers from the token verified for that very request.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { labVersion } from '../../shared/version.js'
import type { AccessTokenClaims } from '../check-token.js'
import type { McpTool } from './tools.js'

export function buildMcpServer(tools: readonly McpTool[], caller: AccessTokenClaims): McpServer {
  const server = new McpServer({ name: 'oauth-lab', version: labVersion() })
  for (const tool of tools) {
    server.registerTool(tool.name, { title: tool.title, description: tool.description }, () => {
      const answer = tool.answer(caller)
      return { content: [{ type: 'text', text: JSON.stringify(answer) }], structuredContent: { ...answer } }
    })
  }
  return server
}
