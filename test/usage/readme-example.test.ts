// The README's "Use it in your tests" example, run as it is written: its code
// block is read from README.md, its `oauth-lab` import pointed at this
// package's source (what the built package exports), written to a file and
// imported here, so that its hooks and test join this file's. If the README
// drifts from the API, this fails.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The first ```ts block under the README heading `heading`. */
function codeBlockUnder(markdown: string, heading: string): string {
  const section = markdown.slice(markdown.indexOf(`\n## ${heading}\n`))
  const block = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1]
  if (block === undefined) throw new Error(`no ts code block under "## ${heading}" in README.md`)
  return block
}

const example = codeBlockUnder(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'Use it in your tests')
const source = pathToFileURL(join(ROOT, 'src/index.ts')).href

describe('the README example as written', () => {
  it('imports oauth-lab and vitest only, and checks something', () => {
    const imports = [...example.matchAll(/^import .* from '([^']+)'$/gm)].map((m) => m[1])
    expect(imports.sort()).toEqual(['oauth-lab', 'vitest'])
    expect(example).toMatch(/\bexpect\(/)
  })
})

// Inside the project, so that its `vitest` import is this run's own.
mkdirSync(join(ROOT, 'test-results'), { recursive: true })
const dir = mkdtempSync(join(ROOT, 'test-results', 'readme-example-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = join(dir, 'example.mts')
writeFileSync(file, example.replace(/from 'oauth-lab'$/m, `from ${JSON.stringify(source)}`))
// Its beforeAll, afterAll and `it` register into this file as it is collected.
await import(pathToFileURL(file).href)
