import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { parseLabArgs } from '../src/shared/args.js'
import { loadConfig } from '../src/shared/config.js'
import { qrTerminal } from '../src/shared/qr.js'
import { workshopBanner } from '../src/workshop-banner.js'

const wlan: NetworkInterfaceInfo = {
  address: '192.168.1.20',
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: false,
  cidr: null,
}
const KEY = 'k'.repeat(30)

describe("the launcher's workshop banner", () => {
  it('prints the join URL, its QR code and the teacher URL for --lan', async () => {
    const config = loadConfig(
      { LAB_KEY: KEY },
      { flags: parseLabArgs(['--lan']).settings, interfaces: () => ({ wlan0: [wlan] }) },
    )
    const banner = await workshopBanner(config)
    const lines = banner.split('\n')
    expect(lines[0]).toBe('oauth-lab workshop on the network of 192.168.1.20')
    expect(lines[1]).toBe('oauth-lab learners join: http://192.168.1.20:3000/join')
    expect(banner).toContain((await qrTerminal('http://192.168.1.20:3000/join')).trimEnd())
    expect(banner).toContain(
      `oauth-lab teacher (keep it to yourself): http://192.168.1.20:3000/teacher?lab_key=${KEY}\n`,
    )
    expect(banner.endsWith('\n')).toBe(true)
  })

  it('says the lab is on loopback with --workshop alone, and prints nothing without workshop mode', async () => {
    const banner = await workshopBanner(loadConfig({ WORKSHOP: 'on', LAB_KEY: KEY }))
    expect(banner).toContain('oauth-lab workshop on this machine only (loopback)')
    expect(banner).toContain('oauth-lab learners join: http://localhost:3000/join')
    expect(await workshopBanner(loadConfig({}))).toBe('')
  })
})
