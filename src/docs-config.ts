// `npm run docs:config`: print the configuration-file reference (Markdown);
// with --write, put it into README.md between the config-reference markers.

import { readFileSync, writeFileSync } from 'node:fs'
import { configReference, withReference } from './shared/config-docs.js'

if (process.argv.includes('--write')) {
  const readme = new URL('../README.md', import.meta.url)
  writeFileSync(readme, withReference(readFileSync(readme, 'utf8')))
} else {
  process.stdout.write(`${configReference()}\n`)
}
