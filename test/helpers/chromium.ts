import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const INSTALL_HINT =
  "Browser tests need Debian's Chromium at /usr/bin/chromium. Install it with:\n" +
  '  sudo apt-get update && sudo apt-get install -y chromium\n' +
  '(or set CHROMIUM_PATH to a Chromium binary).'

function canUseAptGet(): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  return isRoot && existsSync('/usr/bin/apt-get')
}

/** Finds Chromium; installs Debian's package first when it is missing and apt-get can be used. */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH
  if (!canUseAptGet()) throw new Error(INSTALL_HINT)
  process.stderr.write("oauth-lab tests: Chromium is missing; installing Debian's chromium package...\n")
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', timeout: 300_000 })
    execFileSync('apt-get', ['install', '-y', 'chromium'], {
      stdio: 'inherit',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
  } catch (error) {
    throw new Error(`Installing chromium failed (${(error as Error).message}).\n${INSTALL_HINT}`, { cause: error })
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(INSTALL_HINT)
  return CHROMIUM_PATH
}
