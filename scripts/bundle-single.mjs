// `npm run build`, last part: the whole lab as one file, dist/oauth-lab.mjs,
// that runs with `node oauth-lab.mjs` and nothing beside it (no
// node_modules): the launcher and all three roles (the launcher starts the
// roles by running the same file with the role's command: src/single-file.ts),
// every package but the optional better-sqlite3 (STORE=sqlite says in one line
// that it needs it), every template (views/) and asset (public/).
//
// The templates and assets ride in the file as base64 strings, set ahead of
// the code as `globalThis.__oauthLabEmbedded`; the two places that find
// files beside the code (html.ts: views/ and public/; version.ts:
// package.json) are pointed at src/single-file-assets.ts instead, here at
// build time, so the sources stay as they are. A source whose lookup changed
// fails the build rather than look on disk at run time.
//
// `--cjs <file>` writes the same as a CommonJS script instead, what Node 20's
// single executable applications run (scripts/build-sea.mjs).

import { Buffer } from 'node:buffer'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { bundleOnDemandRequires, ESM_REQUIRE_BANNER } from './bundle-plugins.mjs'

const { values } = parseArgs({ options: { cjs: { type: 'string' } } })
const cjs = values.cjs !== undefined
const outfile = values.cjs ?? 'dist/oauth-lab.mjs'

/** Every file under `dir`, as repo-relative paths with forward slashes. */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [relative('.', path).split(sep).join('/')]
  })
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const embedded = {
  ...Object.fromEntries(
    [...filesUnder('views'), ...filesUnder('public')].map((path) => [path, readFileSync(path).toString('base64')]),
  ),
  // version.ts reads the version from here; the name and version are all it needs.
  'package.json': Buffer.from(JSON.stringify({ name: pkg.name, version: pkg.version })).toString('base64'),
}

const ASSETS_MODULE = resolve('dist/single-file-assets.js')
/** Each file lookup of the sources, and where the single file finds it instead. */
const LOOKUPS = {
  'dist/shared/html.js': [
    ["new URL('../../views/', import.meta.url)", "embeddedAssetUrl('views/')"],
    ["new URL('../../public/', import.meta.url)", "embeddedAssetUrl('public/')"],
  ],
  'dist/shared/version.js': [["new URL('../../package.json', import.meta.url)", "embeddedAssetUrl('package.json')"]],
}
const embeddedLookups = {
  name: 'embedded-lookups',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]shared[\\/](html|version)\.js$/ }, ({ path }) => {
      const key = relative('.', path).split(sep).join('/')
      let source = readFileSync(path, 'utf8')
      for (const [from, to] of LOOKUPS[key] ?? []) {
        if (!source.includes(from))
          throw new Error(`${path}: expected "${from}" (scripts/bundle-single.mjs points it at the embedded files)`)
        source = source.replace(from, to)
      }
      const contents = `import { embeddedAssetUrl } from ${JSON.stringify(ASSETS_MODULE)};\n${source}`
      return { contents, loader: 'js', resolveDir: dirname(path) }
    })
  },
}

const assets = `globalThis.__oauthLabEmbedded = ${JSON.stringify(embedded)};`
// CommonJS has no import.meta: it becomes the script's own path (the executable's, in a single executable).
const CJS_META_URL =
  "var __labImportMetaUrl = require('node:url').pathToFileURL(typeof __filename === 'string' && __filename !== '' ? __filename : process.execPath).href;"

mkdirSync(dirname(outfile), { recursive: true })
await build({
  entryPoints: ['dist/single-file.js'],
  outfile,
  bundle: true,
  platform: 'node',
  format: cjs ? 'cjs' : 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  plugins: [bundleOnDemandRequires, embeddedLookups],
  ...(cjs ? { define: { 'import.meta.url': '__labImportMetaUrl' } } : {}),
  banner: { js: cjs ? `${CJS_META_URL}\n${assets}` : `${ESM_REQUIRE_BANNER}\n${assets}` },
  legalComments: 'none',
  minifyWhitespace: true,
  logLevel: 'warning',
})
chmodSync(outfile, 0o755)
