// `npm run build`, second half: each role's compiled entry (dist/<role>/server.js)
// and everything it imports become one file, dist/bundle/<role>.js, which is
// what `npm start`, the CLI and the Docker image run. Node 20 has no module
// compile cache, so loading hundreds of small modules (Fastify and its
// plugins) was most of a role's start-up; one file halves it (README,
// Performance). The per-file build stays for tests and the package's API.
//
// Left outside the bundle: better-sqlite3 (a native addon, loaded only for
// STORE=sqlite), and what config-file.ts loads on demand (ajv, yaml) through
// its own require.

import { writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { build } from 'esbuild'
// The roles table as tsc just compiled it (src/shared/roles.ts).
import { ROLES } from '../dist/shared/roles.js'

const { metafile } = await build({
  // dist/bundle/<role>.js from dist/<role>/server.js, as the table says.
  entryPoints: Object.fromEntries(ROLES.map((role) => [basename(role.bundle, '.js'), `dist/${role.entry}`])),
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Same depth as dist/shared, so `new URL('../../views/', import.meta.url)` still finds views/.
  external: ['better-sqlite3', 'undici'],
  // Bundled CommonJS packages call require() for Node's built-ins; ESM has no require of its own.
  banner: {
    js: "import { createRequire as __labCreateRequire } from 'node:module'; const require = __labCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  minifyWhitespace: true,
  logLevel: 'warning',
  metafile: true,
})
// What each bundle still imports from outside (test/start.test.ts checks it is only the above and Node's own).
writeFileSync('dist/bundle/meta.json', JSON.stringify(metafile))
