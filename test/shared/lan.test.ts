import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { flagArgv, parseLabArgs } from '../../src/shared/args.js'
import { ConfigError, loadConfig } from '../../src/shared/config.js'
import { exposureWarning } from '../../src/shared/exposure.js'
import { chooseLanAddress, isPrivateIpv4, type InterfaceList } from '../../src/shared/lan.js'

// Fake interface lists: these tests never look at, or send to, the machine's real addresses.
function ipv4(address: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: null }
}
function ipv6(address: string): NetworkInterfaceInfo {
  return {
    address,
    netmask: 'ffff:ffff:ffff:ffff::',
    family: 'IPv6',
    mac: '00:00:00:00:00:00',
    internal: false,
    cidr: null,
    scopeid: 0,
  }
}

const CLASSROOM: InterfaceList = {
  lo: [ipv4('127.0.0.1', true)],
  docker0: [ipv4('203.0.113.7')],
  wlan0: [ipv6('fe80::1'), ipv4('192.168.1.20')],
  eth1: [ipv4('10.0.0.5')],
}

describe('choosing the LAN address', () => {
  it('knows the private ranges (RFC 1918)', () => {
    for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.0.9']) expect(isPrivateIpv4(a)).toBe(true)
    for (const a of ['172.15.0.1', '172.32.0.1', '192.169.0.1', '203.0.113.7', '127.0.0.1', 'fe80::1'])
      expect(isPrivateIpv4(a)).toBe(false)
  })

  it('prefers the first private IPv4, skipping internal ones and IPv6', () => {
    expect(chooseLanAddress(CLASSROOM)).toEqual({ address: '192.168.1.20', interfaceName: 'wlan0' })
  })

  it('takes a public address when there is no private one', () => {
    expect(chooseLanAddress({ lo: [ipv4('127.0.0.1', true)], eth0: [ipv4('198.51.100.4')] }).address).toBe(
      '198.51.100.4',
    )
  })

  it('takes the address or interface named', () => {
    expect(chooseLanAddress(CLASSROOM, 'eth1')).toEqual({ address: '10.0.0.5', interfaceName: 'eth1' })
    expect(chooseLanAddress(CLASSROOM, '203.0.113.7').interfaceName).toBe('docker0')
  })

  it('refuses a name or address that is not there, or an internal one, saying what there is', () => {
    expect(() => chooseLanAddress(CLASSROOM, 'eth9')).toThrow(ConfigError)
    expect(() => chooseLanAddress(CLASSROOM, 'eth9')).toThrow(
      '--lan=eth9: no non-internal IPv4 address or interface of that name on this machine (found: docker0 203.0.113.7, wlan0 192.168.1.20, eth1 10.0.0.5)',
    )
    expect(() => chooseLanAddress(CLASSROOM, 'lo')).toThrow(/no non-internal IPv4/)
  })

  it('says clearly when the machine has no LAN address', () => {
    const alone: InterfaceList = { lo: [ipv4('127.0.0.1', true)], wlan0: [ipv6('fe80::2')] }
    expect(() => chooseLanAddress(alone)).toThrow(
      '--lan: this machine has no non-internal IPv4 address (is it on a network?); name one with --lan=<ip or interface>',
    )
    expect(() => chooseLanAddress({})).toThrow(ConfigError)
  })
})

describe('the configuration --lan gives', () => {
  const lan = (argv: string[], env: Record<string, string> = {}) =>
    loadConfig(env, { flags: parseLabArgs(argv).settings, interfaces: () => CLASSROOM })

  it('binds to the LAN address, puts every URL there, allows its hosts and turns workshop mode on', () => {
    const config = lan(['--lan'])
    expect(config.host).toBe('192.168.1.20')
    expect(config.lanAddress).toBe('192.168.1.20')
    expect(config.auth.publicUrl).toBe('http://192.168.1.20:9001')
    expect(config.auth.internalUrl).toBe('http://192.168.1.20:9001')
    expect(config.resource.publicUrl).toBe('http://192.168.1.20:9002')
    expect(config.resource.internalUrl).toBe('http://192.168.1.20:9002')
    expect(config.client.publicUrl).toBe('http://192.168.1.20:3000')
    expect(config.clients.find((c) => c.clientId === 'oauth-client-1')?.redirectUris).toEqual([
      'http://192.168.1.20:3000/authenticated',
    ])
    expect(config.resources[0]?.identifier).toBe('http://192.168.1.20:9002')
    expect(config.allowedHosts).toEqual(['192.168.1.20:9001', '192.168.1.20:9002', '192.168.1.20:3000'])
    expect(config.workshop).toBe(true)
  })

  it('follows the ports, the named interface, LAN in the environment and explicit settings', () => {
    const config = lan(['--lan=eth1', '--port-client', '3100'], { ALLOWED_HOSTS: 'lab.local:3100' })
    expect(config.client.publicUrl).toBe('http://10.0.0.5:3100')
    expect(config.allowedHosts).toEqual(['10.0.0.5:9001', '10.0.0.5:9002', '10.0.0.5:3100', 'lab.local:3100'])
    expect(lan([], { LAN: 'on' }).host).toBe('192.168.1.20')
    const kept = lan(['--lan'], { AUTH_PUBLIC_URL: 'http://lab.local:9001', WORKSHOP: 'off' })
    expect(kept.auth.publicUrl).toBe('http://lab.local:9001')
    expect(kept.workshop).toBe(false)
  })

  it('is off by default and with LAN=off', () => {
    for (const config of [lan([]), lan([], { LAN: 'off' })]) {
      expect(config.host).toBe('127.0.0.1')
      expect(config.lanAddress).toBeUndefined()
      expect(config.workshop).toBe(false)
      expect(config.client.publicUrl).toBe('http://localhost:3000')
    }
  })

  it('stops with the reason when no address fits', () => {
    expect(() => loadConfig({ LAN: 'on' }, { interfaces: () => ({ lo: [ipv4('127.0.0.1', true)] }) })).toThrow(
      /no non-internal IPv4 address/,
    )
  })

  it('keeps the exposure warning: the servers are reachable from the network', () => {
    expect(exposureWarning(lan(['--lan']))).toMatch(/listen on 192\.168\.1\.20, reachable beyond this machine/)
  })

  it('reads --lan and --workshop alone or with a value, and hands them on to the roles', () => {
    expect(parseLabArgs(['--lan']).settings).toEqual({ lan: 'on' })
    expect(parseLabArgs(['auth', '--lan=wlan0']).settings).toEqual({ lan: 'wlan0' })
    expect(parseLabArgs(['--workshop', 'client']).settings).toEqual({ workshop: true })
    expect(parseLabArgs(['--workshop=off']).settings).toEqual({ workshop: false })
    const flags = parseLabArgs(['--lan', '--workshop', '--port-auth', '9101'])
    expect(flagArgv(flags)).toEqual(['--port-auth', '9101', '--lan=on', '--workshop=on'])
    expect(parseLabArgs(flagArgv(flags)).settings).toEqual(flags.settings)
    expect(() => parseLabArgs(['--lan=bad value'])).toThrow(/--lan bad value must be on, off/)
  })
})
