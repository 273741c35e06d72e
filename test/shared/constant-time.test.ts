import { describe, expect, it } from 'vitest'
import { constantTimeEqual, secretMatcher } from '../../src/shared/constant-time.js'

describe('constantTimeEqual', () => {
  it('is true only for equal strings', () => {
    expect(constantTimeEqual('state-123', 'state-123')).toBe(true)
    expect(constantTimeEqual('', '')).toBe(true)
    expect(constantTimeEqual('state-123', 'state-124')).toBe(false)
    expect(constantTimeEqual('Secret', 'secret')).toBe(false)
  })

  it('compares strings of different lengths without throwing', () => {
    // timingSafeEqual itself throws on unequal lengths; hashing first avoids that.
    expect(constantTimeEqual('short', 'a much longer expected secret')).toBe(false)
    expect(constantTimeEqual('', 'x')).toBe(false)
  })

  it('compares the UTF-8 text, not a lossy encoding of it', () => {
    expect(constantTimeEqual('é', 'é')).toBe(true)
    // A precomposed é and e followed by a combining accent look alike but are different strings.
    expect(constantTimeEqual('é', 'e\u0301')).toBe(false)
  })
})

describe('secretMatcher', () => {
  it('answers as constantTimeEqual against its one secret', () => {
    const isKey = secretMatcher('lab-key-123')
    expect(isKey('lab-key-123')).toBe(true)
    expect(isKey('lab-key-124')).toBe(false)
    expect(isKey('lab-key-1234')).toBe(false)
    expect(isKey('')).toBe(false)
    // Asked again, the same answers: the expected digest is kept, not consumed.
    expect(isKey('lab-key-123')).toBe(true)
    expect(secretMatcher('')('')).toBe(true)
    expect(secretMatcher('é')('e\u0301')).toBe(false)
  })
})
