// The workshop scenario's matching (no timing): a step counts as shown by the
// first event of the same flow, at or after the step began, whose exchange
// lines include it as many times as the flow has made it.

import { describe, expect, it } from 'vitest'
import { delays, teacherDelays, WORKSHOP_STEPS, type Heard, type Timed } from '../../bench/workshop.js'
import { workshopTable } from '../../bench/report.js'

const lines = (n: number) => WORKSHOP_STEPS.slice(0, n).map((s) => s.line)

describe('the workshop scenario', () => {
  it('matches each step to the first event of its flow that shows it, flow by flow', () => {
    // Two flows, the seven requests of each 10 ms apart.
    const timed: Timed[] = [0, 1].flatMap((flow) =>
      WORKSHOP_STEPS.map((_, step) => ({
        flow,
        step,
        start: flow * 1000 + step * 10,
        done: flow * 1000 + step * 10 + 5,
      })),
    )
    const heard: Heard[] = [
      // Flow f1: the connect, then the sign-in page alone (the second GET /authorize is not in it yet).
      { at: 20, flow: 'f1', requests: lines(1) },
      { at: 30, flow: 'f1', requests: lines(2) },
      // Everything up to the consent page, then the whole flow.
      { at: 400, flow: 'f1', requests: lines(4) },
      { at: 500, flow: 'f1', requests: lines(7) },
      // Flow f2: its connect (an event of f1 after it does not count for f2).
      { at: 1001, flow: 'f1', requests: lines(7) },
      { at: 1002, flow: 'f2', requests: lines(1) },
    ]
    const got = delays({ username: 'ada', joinMs: 0, timed, heard })
    expect(got.slice(0, 7).map((d) => d.ms)).toEqual([15, 15, 375, 365, 455, 445, 435])
    // f2: step 1 shown at once (clamped to 0), the rest never.
    expect(got.slice(7).map((d) => d.ms)).toEqual([0, undefined, undefined, undefined, undefined, undefined, undefined])
  })

  it('matches each flow\u2019s step 7 to the first grid event after it that shows its learner at step 7', () => {
    const step7 = (start: number) => ({ flow: 0, step: WORKSHOP_STEPS.length - 1, start, done: start + 5 })
    const runs = [
      { username: 'ada', timed: [step7(100), step7(1000)] },
      { username: 'bob', timed: [step7(200)] },
    ]
    const heard = [
      // Ada at step 7 before her first flow's step 7 began: not it.
      { at: 50, reached: new Map([['ada', 7]]) },
      { at: 150, reached: new Map([['ada', 6]]) },
      { at: 180, reached: new Map([['ada', 7]]) },
      {
        at: 400,
        reached: new Map([
          ['ada', 7],
          ['bob', 7],
        ]),
      },
    ]
    // Ada's second flow never shown at step 7 after it.
    expect(teacherDelays(runs, heard)).toEqual([75, undefined, 195])
  })

  it('reports each request with its inspector delay', () => {
    const text = workshopTable({
      learners: 1,
      flowsEach: 1,
      thinkMs: 0,
      seconds: 1,
      join: { p50Ms: 1, p95Ms: 2 },
      steps: [
        {
          label: 'GET /connect (step 1)',
          samples: 3,
          p50Ms: 4.2,
          p95Ms: 12,
          inspectorP50Ms: 80,
          inspectorP95Ms: 120,
          missed: 0,
        },
      ],
      events: 3,
      failed: 0,
      rssMb: {},
    })
    expect(text).toContain(
      '| GET /connect (step 1) |       3 |    4.2 |     12 |               80 |              120 |         0 |',
    )
  })
})
