// Fastify options every role shares.

/**
 * Route schemas are compiled by Ajv at start-up. They are fixed in the code
 * and exercised by the tests, so checking them against the JSON Schema
 * meta-schema at every start (which first compiles the meta-schema: about a
 * tenth of a role's start-up CPU) proves nothing new. Ajv's strict mode still
 * refuses unknown keywords and impossible types when a route is compiled.
 */
export const AJV_OPTIONS = { customOptions: { validateSchema: false } } as const
