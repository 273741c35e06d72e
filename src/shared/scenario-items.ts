// The one-shot scenarios as data: what POST /_lab/scenarios takes and what a
// config file's (or startLab's) `scenarios` list arms at start. Their JSON
// Schema, and the rules a schema of this subset cannot say (which fields
// each type takes), checked with the rest of the configuration.

import type { JsonSchema } from './setting-kinds.js'
import { COMMENT } from './config-items.js'

export const SCENARIO_TYPES = [
  'fail-token-requests',
  'deny-next-authorization',
  'delay-token-endpoint',
  'rotate-keys',
  'clear',
] as const

export type ScenarioType = (typeof SCENARIO_TYPES)[number]

/** RFC 6749 §5.2 errors (and §4.1.2.1's server_error / temporarily_unavailable) a token request may be made to fail with. */
export const TOKEN_FAILURE_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
] as const

export type TokenFailureError = (typeof TOKEN_FAILURE_ERRORS)[number]

/** A real delay is bounded so a forgotten scenario cannot hang a test suite. */
export const MAX_DELAY_MS = 30_000
export const MAX_COUNT = 1000

/** One scenario as written (the body of POST /_lab/scenarios). */
export type ScenarioInput =
  | {
      readonly type: 'fail-token-requests'
      readonly count?: number
      readonly error?: TokenFailureError
      readonly description?: string
    }
  | { readonly type: 'deny-next-authorization' }
  | { readonly type: 'delay-token-endpoint'; readonly ms: number; readonly count?: number }
  | { readonly type: 'rotate-keys' }
  | { readonly type: 'clear' }

/** Which fields each type takes; any other is refused, not ignored. */
export const SCENARIO_FIELDS: Readonly<Record<ScenarioType, readonly string[]>> = {
  'fail-token-requests': ['count', 'error', 'description'],
  'deny-next-authorization': [],
  'delay-token-endpoint': ['ms', 'count'],
  'rotate-keys': [],
  clear: [],
}

export const SCENARIO_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'A one-shot scenario, as `POST /_lab/scenarios` takes it.',
  additionalProperties: false,
  required: ['type'],
  properties: {
    $comment: COMMENT,
    type: { enum: SCENARIO_TYPES, description: 'What happens (README, "Use it in your tests").' },
    count: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_COUNT,
      description: 'How many token requests fail or wait (default 1).',
    },
    error: { enum: TOKEN_FAILURE_ERRORS, description: 'The error they fail with (default `invalid_grant`).' },
    // RFC 6749 §5.2: error_description is printable ASCII without " and \.
    description: {
      type: 'string',
      pattern: '^[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]{0,500}$',
      description: 'Their `error_description`.',
    },
    ms: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_DELAY_MS,
      description: 'How long each waits, in ms (required for `delay-token-endpoint`).',
    },
  },
}

/** What the schema above cannot say: the fields each type takes, and a delay's length. `path` is inside the item. */
export function scenarioProblems(scenario: ScenarioInput): Array<{ readonly path: string; readonly problem: string }> {
  const allowed = SCENARIO_FIELDS[scenario.type]
  const problems = Object.keys(scenario)
    .filter((key) => key !== 'type' && key !== '$comment' && !allowed.includes(key))
    .map((key) => ({ path: `/${key}`, problem: `is not a field of ${scenario.type}` }))
  if (scenario.type === 'delay-token-endpoint' && (scenario as { ms?: number }).ms === undefined)
    problems.push({ path: '', problem: 'delay-token-endpoint needs ms' })
  return problems
}
