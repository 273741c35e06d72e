// Runs once before the suite. Browser tests need Debian's Chromium; this finds
// it (or installs it where apt-get can) before any test starts. Tests that run
// the compiled servers (launcher, CLI, compose) need a fresh dist/: built once
// here, so parallel test files never build at the same time.
import { execFileSync } from 'node:child_process'
import { ensureChromium } from './chromium.js'

export default async function setup(): Promise<void> {
  try {
    execFileSync('npm', ['run', 'build'], { stdio: 'pipe', timeout: 180_000 })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`npm run build failed:\n${stdout.toString()}${stderr.toString()}`, { cause: error })
  }
  await ensureChromium()
}
