// The teacher's grid, pushed (WORKSHOP=on): /teacher/events, behind the lab
// key, sends `event: grid` with the grid itself when a learner joins or
// progresses; and the client app has one collector of the three servers'
// recordings, shared by /flow, /flow/events and /teacher.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { openSse } from '../../helpers/sse.js'
import { joinAs, walkSevenSteps } from '../../helpers/workshop.js'

let lab: TestLab
let base: string
const key = () => ({ authorization: `Bearer ${lab.config.labKey}` })
const html = (data: string) => (JSON.parse(data) as { html: string }).html

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  base = lab.config.client.publicUrl
})
afterAll(() => lab.close())

describe('GET /teacher/events', () => {
  it('is the lab key\u2019s only (401)', async () => {
    const learner = await joinAs(base, 'Mallory')
    const res = await fetch(`${base}/teacher/events`, { headers: { cookie: learner.browser.cookieFor(base) ?? '' } })
    expect(res.status).toBe(401)
    await res.body?.cancel()
  })

  it('pushes the grid when a learner joins and when their flow progresses', async () => {
    const teacher = await openSse(`${base}/teacher/events`, key())
    try {
      expect(teacher.status).toBe(200)
      const ada = await joinAs(base, 'Ada')
      const row = `data-learner="${ada.username}"`
      const joined = await teacher.next((e) => e.event === 'grid' && html(e.data).includes(row), 5000)
      expect(html(joined!.data)).toContain(`${row} data-reached="0"`)
      await walkSevenSteps(base, lab.config.auth.publicUrl, ada)
      const done = await teacher.next(
        (e) => e.event === 'grid' && html(e.data).includes(`${row} data-reached="7"`),
        5000,
      )
      expect(done).toBeDefined()
      // What /teacher?fragment=1 shows, pushed: the grid section, and never a password.
      expect(html(done!.data).trimStart()).toMatch(/^<section class="card" id="teacher-grid"/)
      for (const e of teacher.events) expect(e.data).not.toContain(ada.password)
    } finally {
      teacher.close()
    }
  })

  it('shares the inspector\u2019s one collector: the servers\u2019 recordings are read from the start only once', async () => {
    const teacher = await openSse(`${base}/teacher/events`, key())
    const inspector = await openSse(`${base}/flow/events?view=latest`, key())
    try {
      const grace = await joinAs(base, 'Grace')
      await walkSevenSteps(base, lab.config.auth.publicUrl, grace)
      for (const path of ['/teacher', '/flow', '/teacher?fragment=1', '/flow?fragment=1'])
        expect((await fetch(`${base}${path}`, { headers: key() })).status).toBe(200)
      await inspector.next((e) => e.event === 'section' && e.data.includes('GET /resource'), 5000)
      // One cursor per server for the whole client app: once it has moved on, nothing reads from 0 again.
      for (const role of ['auth', 'resource'] as const) {
        // Each read's `since` (a live page long-polls: `&wait=` beside it).
        const reads = lab.exchanges
          .filter((x) => x.role === role && x.url.startsWith('/_lab/exchanges?'))
          .map((x) => new URL(x.url, 'http://lab').searchParams.get('since'))
        const moved = reads.findIndex((since) => since !== '0')
        expect([role, moved]).not.toEqual([role, -1])
        expect([role, reads.slice(moved).filter((since) => since === '0')]).toEqual([role, []])
      }
    } finally {
      teacher.close()
      inspector.close()
    }
  })
})
