// Until the resource server checks each route's own audience, the MCP server accepts the built-in one.
export const MCP_AUDIENCE_FOR_TESTS = (resourceUrl: string): string => resourceUrl
