#!/usr/bin/env node
// The entry of the single file, dist/oauth-lab.mjs (scripts/bundle-single.mjs,
// part of `npm run build`), and of the single executable (npm run build:sea):
// the whole lab, templates and assets included, run with `node oauth-lab.mjs`
// and nothing beside it. It is `oauth-lab` (cli-main.ts), except that the
// launcher starts each role by running this same file with the role's command.

import { isSea } from 'node:sea'
import { fileURLToPath } from 'node:url'
import { runCli } from './cli-main.js'

// The single executable is itself the program; the single file runs under node.
const self = isSea() ? [] : [fileURLToPath(import.meta.url)]

// No top-level await: the single executable runs this as CommonJS (Node 20).
runCli(process.argv.slice(2), { roleArgs: (role) => [...self, role.command] }).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
