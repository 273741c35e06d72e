import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/shared/config.js'
import { exposureWarning, isLoopbackHost } from '../../src/shared/exposure.js'

describe('the exposure warning of the start banner', () => {
  it('knows the loopback bind addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true)
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'lab.local']) expect(isLoopbackHost(host)).toBe(false)
  })

  it('is silent on loopback, whatever is on', () => {
    expect(exposureWarning(loadConfig({ AUTO_LOGIN: 'alice', LAB_ADMIN: 'on' }))).toBeUndefined()
  })

  it('names each power that is on when the servers listen beyond loopback', () => {
    expect(exposureWarning(loadConfig({ HOST: '0.0.0.0' }))).toBe(
      `oauth-lab warning: the servers listen on 0.0.0.0, reachable beyond this machine, with the flow inspector on; keep the lab key to yourself, and see the README's "Security model"`,
    )
    const all = exposureWarning(loadConfig({ HOST: '0.0.0.0', LAB_ADMIN: 'on', LOGIN_HINT: 'on' }))
    expect(all).toContain('the flow inspector, the scenarios (LAB_ADMIN), headless sign-in')
    expect(all?.split('\n')).toHaveLength(1)
  })

  it('is silent beyond loopback when every power is off', () => {
    expect(exposureWarning(loadConfig({ HOST: '0.0.0.0', INSPECTOR: 'off' }))).toBeUndefined()
  })
})
