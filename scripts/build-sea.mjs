// `npm run build:sea`: the lab as one executable, dist/oauth-lab (oauth-lab.exe
// on Windows), with Node's single executable applications: this machine's
// node binary with the lab inside, for machines without Node. It runs on the
// same OS and CPU as the node that built it.
//
// Node 20 runs a CommonJS script in a single executable, so the single file is
// bundled again as CommonJS (bundle-single.mjs --cjs), made into a blob with
// `node --experimental-sea-config`, and injected into a copy of node with
// postject (https://nodejs.org/api/single-executable-applications.html).
// Needs a built dist/ (npm run build) and a node binary with the SEA fuse
// (the nodejs.org builds; not distributions that link a shared libnode).

import { execFileSync } from 'node:child_process'
import process from 'node:process'
import { chmodSync, copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { inject } from 'postject'

export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const script = 'dist/sea/oauth-lab.cjs'
const blob = 'dist/sea/oauth-lab.blob'
const config = 'dist/sea/sea-config.json'
const output = process.platform === 'win32' ? 'dist/oauth-lab.exe' : 'dist/oauth-lab'

if (!readFileSync(process.execPath).includes(SEA_FUSE)) {
  process.stderr.write(
    `build:sea: ${process.execPath} has no single-executable fuse (${SEA_FUSE}); use a node from nodejs.org\n`,
  )
  process.exit(1)
}

const run = (args) => execFileSync(process.execPath, args, { stdio: 'inherit' })
run(['scripts/bundle-single.mjs', '--cjs', script])
writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true }))
run(['--experimental-sea-config', config])

rmSync(output, { force: true })
copyFileSync(process.execPath, output)
chmodSync(output, 0o755)
// macOS: the copy's signature no longer matches once injected; it is removed here and must be signed again.
if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', output])
await inject(output, 'NODE_SEA_BLOB', readFileSync(blob), {
  sentinelFuse: SEA_FUSE,
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
})
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', output])
process.stdout.write(`build:sea: ${output} (${(statSync(output).size / 1024 / 1024).toFixed(1)} MiB)\n`)
