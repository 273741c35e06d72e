// `npm run docs:config`: print the README's generated configuration tables
// (environment variables, flags, config-file reference; Markdown); with
// --write, put each into README.md between its markers.

import { readFileSync, writeFileSync } from 'node:fs'
import { README_BLOCKS, withReference } from './shared/config-docs.js'

if (process.argv.includes('--write')) {
  const readme = new URL('../README.md', import.meta.url)
  writeFileSync(readme, withReference(readFileSync(readme, 'utf8')))
} else {
  for (const block of README_BLOCKS) process.stdout.write(`<!-- ${block.name} -->\n${block.content()}\n\n`)
}
