// The lab's version, from package.json. The path is relative to this file's
// depth (src/shared, dist/shared, dist/bundle: two levels under the root), so
// the per-file build and the one-file role bundles find the same package.json.

import { readFileSync } from 'node:fs'

let cached: string | undefined

export function labVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: string
      }
      cached = pkg.version ?? '0.0.0'
    } catch {
      cached = '0.0.0'
    }
  }
  return cached
}
