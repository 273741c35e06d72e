// What the role bundles (bundle-roles.mjs) and the single file
// (bundle-single.mjs) share: esbuild plugins and the banner of an ES module
// bundle.

import { readFileSync } from 'node:fs'

/**
 * config-file.ts loads ajv and yaml on demand through a require of its own
 * (createRequire), which esbuild cannot follow: it would leave both to be
 * found in node_modules at run time. Dropping that line makes its `require`
 * the free one, which esbuild resolves and bundles, still called on demand.
 * A source that no longer has the line fails the build rather than quietly
 * loading the packages from outside again.
 */
const CONFIG_FILE_REQUIRE = 'const require = createRequire(import.meta.url);'
export const bundleOnDemandRequires = {
  name: 'bundle-on-demand-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]shared[\\/]config-file\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8')
      if (!source.includes(CONFIG_FILE_REQUIRE))
        throw new Error(`${path}: expected "${CONFIG_FILE_REQUIRE}" (scripts/bundle-plugins.mjs bundles what it loads)`)
      return { contents: source.replace(CONFIG_FILE_REQUIRE, ''), loader: 'js' }
    })
  },
}

/** Bundled CommonJS packages call require() for Node's built-ins; ESM has no require of its own. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __labCreateRequire } from 'node:module'; const require = __labCreateRequire(import.meta.url);"
