// The rule both roles read for step-through's longer-lived code.

import { describe, expect, it } from 'vitest'
import { grantedCodeLifetime, MAX_CODE_LIFETIME_SECONDS } from '../../src/shared/step-through-code.js'

describe('grantedCodeLifetime', () => {
  it('grants what is asked between the configured lifetime and 10 minutes', () => {
    expect(MAX_CODE_LIFETIME_SECONDS).toBe(600)
    expect(grantedCodeLifetime(60, '300')).toBe(300)
    expect(grantedCodeLifetime(60, '600')).toBe(600)
    expect(grantedCodeLifetime(60, '601')).toBe(600)
    expect(grantedCodeLifetime(60, '999999')).toBe(600)
  })

  it('never shortens the configured lifetime, and ignores what is not a whole number of seconds', () => {
    expect(grantedCodeLifetime(60, '10')).toBe(60)
    expect(grantedCodeLifetime(120, undefined)).toBe(120)
    for (const asked of ['', 'abc', '-5', '1.5', '1e3', '1234567'])
      expect(grantedCodeLifetime(60, asked), asked).toBe(60)
  })
})
