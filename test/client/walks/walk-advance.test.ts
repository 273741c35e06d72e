// advance(): how a walk's state moves after a stop: one stop on, to the end
// when the outcome says done, and past the stops it says to skip (a DPoP
// nonce retry the server did not ask for, RFC 9449 §8).

import { describe, expect, it } from 'vitest'
import { advance } from '../../../src/client/walks/walk-routes.js'
import type { WalkOutcome, WalkScript, WalkState } from '../../../src/client/walks/walk.js'

const stop = (step: 1 | 2 | 3 | 4) => ({
  step,
  action: `stop ${step}`,
  run: (): Promise<WalkOutcome> => Promise.reject(new Error('not run here')),
})
const script: WalkScript = { name: 'dpop', stops: [stop(1), stop(2), stop(3), stop(4)] }
const state: WalkState = { name: 'dpop', tag: 'w_dpop_x', stop: 1, results: [], data: { a: '1' } }
const shown = (extra: { done?: boolean; skip?: number } = {}): WalkOutcome => ({
  kind: 'shown',
  result: { step: 2, title: 't', ok: true, lines: [] },
  data: { b: '2' },
  ...extra,
})

describe('advance', () => {
  it('moves one stop on and keeps the data of both', () => {
    const next = advance(state, shown(), script)
    expect(next.stop).toBe(2)
    expect(next.data).toEqual({ a: '1', b: '2' })
    expect(next.results).toHaveLength(1)
  })

  it('passes over the stops an outcome skips, never past the end', () => {
    expect(advance(state, shown({ skip: 1 }), script).stop).toBe(3)
    expect(advance(state, shown({ skip: 9 }), script).stop).toBe(4)
  })

  it('ends the walk when the outcome is done', () => {
    expect(advance(state, shown({ done: true, skip: 1 }), script).stop).toBe(4)
  })
})
