// Templates (views/) and assets (public/) inside the single file: the build
// (scripts/bundle-single.mjs) puts them in `globalThis.__oauthLabEmbedded`
// (path -> base64) ahead of the code, and points the lab's few file lookups
// (html.ts, version.ts) at `embeddedAssetUrl`. @fastify/view and
// @fastify/static read from a directory, so at the first lookup the files are
// written to a directory of this process's own (mkdtemp: 0700, a fresh name,
// so another user of the machine cannot have planted templates there),
// removed when the process exits.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { pathToFileURL } from 'node:url'

declare global {
  var __oauthLabEmbedded: Readonly<Record<string, string>> | undefined
}

let root: string | undefined

function extract(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  for (const [path, base64] of Object.entries(files)) {
    const target = join(dir, path)
    // Paths come from the build, but a file is never written outside the directory.
    if (!target.startsWith(dir + sep)) throw new Error(`embedded asset outside its directory: ${path}`)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, Buffer.from(base64, 'base64'))
  }
  return dir
}

/** The URL of an embedded file or folder (`views/`, `package.json`), as `new URL('../../' + path, import.meta.url)` was. */
export function embeddedAssetUrl(path: string): URL {
  const files = globalThis.__oauthLabEmbedded
  if (files === undefined) throw new Error('this build carries no embedded assets')
  root ??= extract(files)
  const url = pathToFileURL(join(root, path))
  if (path.endsWith('/') && !url.pathname.endsWith('/')) url.pathname += '/'
  return url
}
