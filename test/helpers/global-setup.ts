// Runs once before the suite. Browser tests need Debian's Chromium; this finds
// it (or installs it where apt-get can) before any test starts.
import { ensureChromium } from './chromium.js'

export default async function setup(): Promise<void> {
  await ensureChromium()
}
