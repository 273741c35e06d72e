// Reads oauth-lab.config.json (or .yaml/.yml) and validates data against a
// JSON Schema (the file's, or startLab options'): every problem at once, each
// as a JSON pointer and a plain sentence. What a schema cannot say (unique
// ids, scopes that exist, …) is config-checks.ts's job.

import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { createRequire } from 'node:module'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { ConfigFileError, type ConfigIssue } from './config-error.js'
import type { JsonSchema } from './setting-kinds.js'

// verbose: additionalProperties errors then carry their schema, to list what is allowed.
// ajv and yaml load only when a config file or startLab options are read: every
// server starts with this module, and compiling a schema at start-up would cost
// each one time.
const require = createRequire(import.meta.url)
const compiled = new WeakMap<JsonSchema, ValidateFunction>()
const yaml = () => require('yaml') as typeof import('yaml')

/** What is wrong with `data` under `schema`: none when it is valid. */
export function schemaProblems(schema: JsonSchema, data: unknown): ConfigIssue[] {
  let validate = compiled.get(schema)
  if (!validate) {
    const { Ajv } = require('ajv') as typeof import('ajv')
    validate = new Ajv({ allErrors: true, verbose: true, strict: true }).compile(schema)
    compiled.set(schema, validate)
  }
  return validate(data) ? [] : schemaIssues(validate.errors ?? [])
}

/** The file's content, valid under `schema`; a ConfigFileError lists every problem. */
export function readConfigFile(file: string, schema: JsonSchema): unknown {
  const data = parseFile(file)
  const issues = schemaProblems(schema, data)
  if (issues.length > 0) throw new ConfigFileError(file, issues)
  return data
}

function parseFile(file: string): unknown {
  const ext = extname(file).toLowerCase()
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ConfigFileError(file, [{ problem: 'unknown file type: name it *.json, *.yaml or *.yml' }])
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigFileError(file, [
      { problem: `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` },
    ])
  }
  try {
    return ext === '.json' ? JSON.parse(text) : yaml().parse(text)
  } catch (error) {
    if (error instanceof yaml().YAMLParseError) {
      const at = error.linePos?.[0]
      const path = at === undefined ? undefined : `line ${at.line}, column ${at.col}`
      return fail(
        file,
        path,
        `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      )
    }
    const message = (error as Error).message
    return fail(
      file,
      jsonPosition(text, message),
      `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
    )
  }
}

function fail(file: string, path: string | undefined, problem: string): never {
  throw new ConfigFileError(file, [{ ...(path === undefined ? {} : { path }), problem }])
}

/** V8 says "at position N"; a person wants a line and column. */
function jsonPosition(text: string, message: string): string | undefined {
  const match = /position (\d+)/.exec(message)
  if (!match) return undefined
  const before = text.slice(0, Number(match[1]))
  const line = before.split('\n').length
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

const ARTICLE: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
}

/** One ajv error as one plain sentence. */
function schemaIssue(error: ErrorObject): ConfigIssue {
  const path = error.instancePath
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter(
        (k) => !k.startsWith('$'),
      )
      return {
        path: `${path}/${escapePointer(String(params.additionalProperty))}`,
        problem: `unknown property (allowed: ${allowed.join(', ')})`,
      }
    }
    case 'required':
      return { path, problem: `missing required property "${String(params.missingProperty)}"` }
    case 'type':
      return { path, problem: `must be ${ARTICLE[String(params.type)] ?? String(params.type)}` }
    case 'enum':
      return { path, problem: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` }
    case 'minimum':
      return { path, problem: `must be at least ${String(params.limit)}` }
    case 'maximum':
      return { path, problem: `must be at most ${String(params.limit)}` }
    case 'minLength':
    case 'minItems':
      return { path, problem: 'must not be empty' }
    case 'pattern':
      return { path, problem: 'must be a scope token: no spaces, quotes or backslashes' }
    default:
      return { path, problem: error.message ?? `fails ${error.keyword}` }
  }
}

function schemaIssues(errors: readonly ErrorObject[]): ConfigIssue[] {
  const seen = new Set<string>()
  return errors.map(schemaIssue).filter((issue) => {
    const key = `${issue.path}\0${issue.problem}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
}
