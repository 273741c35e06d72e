// The MCP server's tools, each with the one scope a token needs to call it.
// Two scopes, so that a client sees the step-up challenge (MCP authorization,
// "Scope Challenge Handling") when it calls the second tool with a token
// that only has the first.

import type { AccessTokenClaims } from '../check-token.js'

export interface McpTool {
  readonly name: string
  readonly title: string
  readonly description: string
  /** The scope a token must carry to call the tool; without it, 403 insufficient_scope. */
  readonly scope: string
  /** The tool's answer, from the caller's verified token alone. */
  readonly answer: (caller: AccessTokenClaims) => Readonly<Record<string, unknown>>
}

/** The tools, given the scope the built-in resource needs (`foo` by default) and the second one. */
export function mcpTools(requiredScope: string, secondScope = 'bar'): readonly McpTool[] {
  return [
    {
      name: 'whoami',
      title: 'Who am I?',
      description: "The access token's subject, client and scopes, as this MCP server sees them.",
      scope: requiredScope,
      answer: (caller) => ({ sub: caller.sub, client_id: caller.client_id, scope: caller.scope }),
    },
    {
      name: 'read_bar',
      title: `Read the ${secondScope} resource`,
      description: `Needs the ${secondScope} scope: called with a token without it, the server answers 403 insufficient_scope naming the scope (step-up).`,
      scope: secondScope,
      answer: (caller) => ({
        resource: secondScope,
        message: `Hello ${caller.sub}, here is your ${secondScope} resource.`,
      }),
    },
  ]
}

/** JSON-RPC `tools/call` requests in a body (one message or a batch), by the tool they name. */
export function toolsCalled(body: unknown): string[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body]
  return messages.flatMap((message) => {
    if (typeof message !== 'object' || message === null) return []
    const { method, params } = message as { method?: unknown; params?: unknown }
    if (method !== 'tools/call' || typeof params !== 'object' || params === null) return []
    const name = (params as { name?: unknown }).name
    return typeof name === 'string' ? [name] : []
  })
}
