// `npm run build`, second half: each role's compiled entry (dist/<role>/server.js)
// and everything it imports become one file, dist/bundle/<role>.js, which is
// what `npm start`, the CLI and the Docker image run. Node 20 has no module
// compile cache, so loading hundreds of small modules (Fastify and its
// plugins) was most of a role's start-up; one file halves it (README,
// Performance). The per-file build stays for tests and the package's API.
//
// A bundle needs nothing but Node and its own file: every package is inside
// it, so a missing or mismatched node_modules entry cannot fail a role at run
// time. The one exception is better-sqlite3, a native addon that cannot be
// bundled and is an optional dependency, loaded only for STORE=sqlite (its
// absence is then said in one line by the store). What the sources load on
// demand stays on demand: esbuild wraps a bundled module that is reached by
// import() or require() in a function that runs at the first call.

import { chmodSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { build } from 'esbuild'
import { bundleOnDemandRequires, ESM_REQUIRE_BANNER } from './bundle-plugins.mjs'
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
  external: ['better-sqlite3'],
  plugins: [bundleOnDemandRequires],
  // Bundled CommonJS packages call require() for Node's built-ins; ESM has no require of its own.
  banner: { js: ESM_REQUIRE_BANNER },
  legalComments: 'none',
  minifyWhitespace: true,
  logLevel: 'warning',
  metafile: true,
})
// What each bundle still imports from outside (test/start.test.ts checks it is only the above and Node's own).
writeFileSync('dist/bundle/meta.json', JSON.stringify(metafile))
// The package's bin (package.json): tsc keeps its shebang but writes it 0644;
// executable here so it also runs as ./dist/cli.js, not only through npm's link.
chmodSync('dist/cli.js', 0o755)
