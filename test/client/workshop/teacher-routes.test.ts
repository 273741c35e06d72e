// The teacher's view (WORKSHOP=on) over real HTTP: behind the lab key (401,
// JSON for scripts, the page that says how to get it for browsers), a grid of
// learners x the seven steps from each learner's latest flow, the Break-it
// attacks each ran with the servers' answers, a link to each learner's flow,
// the JSON export, and "Reset the room" (CSRF-protected).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizeQuery } from '../../helpers/auth-server.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { joinAs, walkSevenSteps, type JoinedLearner } from '../../helpers/workshop.js'

let lab: TestLab
let base: string
let ada: JoinedLearner
let grace: JoinedLearner

/** A browser holding the lab key (its cookie, as `?lab_key=` leaves it). */
async function teacherBrowser() {
  const browser = httpBrowser()
  const res = await browser.get(`${base}/teacher?lab_key=${encodeURIComponent(lab.config.labKey)}`)
  expect(res.status).toBe(303)
  expect(browser.location(res)).toBe(`${base}/teacher`)
  return browser
}

interface Exported {
  learners: Array<{
    name: string
    username: string
    reached: number
    latestFlowId?: string
    attacks: Array<{ name: string; answers: string[] }>
  }>
}

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  base = lab.config.client.publicUrl
  ada = await joinAs(base, 'Ada')
  grace = await joinAs(base, 'Grace <3')
  await walkSevenSteps(base, lab.config.auth.publicUrl, ada)
  // Grace runs one Break-it attack and no flow.
  const page = await grace.browser.get(`${base}/break`)
  const ran = await grace.browser.post(`${base}/break/replayed-code`, { _csrf: hiddenField(page.body, '_csrf') })
  expect(ran.status).toBe(200)
})
afterAll(() => lab.close())

describe('GET /teacher', () => {
  it('is refused without the lab key: 401, a page saying how to get it, or JSON for scripts', async () => {
    const learnerView = await ada.browser.get(`${base}/teacher`)
    expect(learnerView.status).toBe(401)
    expect(learnerView.body).toContain('Lab key needed')
    expect(learnerView.body).not.toContain(ada.username)
    const script = await fetch(`${base}/teacher/export.json`)
    expect(script.status).toBe(401)
    expect(await script.json()).toMatchObject({ error: 'lab_key_required' })
    expect((await ada.browser.get(`${base}/teacher?lab_key=wrong-key-wrong-key-wrong`)).status).toBe(401)
  })

  it('shows each learner\u2019s progress, attacks and a link to their flow', async () => {
    const teacher = await teacherBrowser()
    const res = await teacher.get(`${base}/teacher`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toContain(`data-learner="${ada.username}" data-reached="7"`)
    expect(res.body).toContain(`data-learner="${grace.username}" data-reached="0"`)
    expect(res.body).toContain('Grace &lt;3')
    expect(res.body).not.toContain('Grace <3')
    expect(res.body).toContain('data-attack="replayed-code"')
    // No password ever reaches the teacher's page.
    expect(res.body).not.toContain(ada.password)
    expect(res.body).not.toContain(grace.password)

    const exported = await teacher.get(`${base}/teacher/export.json`)
    expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename="oauth-lab-workshop\.json"$/)
    expect(exported.body).not.toContain(ada.password)
    const json = JSON.parse(exported.body) as Exported
    const [first, second] = json.learners
    expect(first).toMatchObject({ name: 'Ada', username: ada.username, reached: 7, attacks: [] })
    expect(second).toMatchObject({ name: 'Grace <3', username: grace.username, reached: 0 })
    expect(second?.attacks.map((a) => a.name)).toEqual(['replayed-code'])
    // The replayed code is refused by the token endpoint: the teacher sees that answer.
    expect(second?.attacks[0]?.answers.join('; ')).toContain('400 invalid_grant')

    // The link opens the learner's flow in the inspector for the key's holder, and only there.
    expect(res.body).toContain(`href="/flow/${first?.latestFlowId}"`)
    expect((await teacher.get(`${base}/flow/${first?.latestFlowId}.json`)).status).toBe(200)
    expect((await grace.browser.get(`${base}/flow/${first?.latestFlowId}.json`)).status).toBe(404)
  })

  it('serves the grid alone for the live updates', async () => {
    const teacher = await teacherBrowser()
    const res = await teacher.get(`${base}/teacher?fragment=1`)
    expect(res.status).toBe(200)
    expect(res.body.trimStart()).toMatch(/^<section class="card" id="teacher-grid"/)
    expect(res.body).toContain(`data-learner="${ada.username}"`)
  })
})

/** A fresh browser signs in at the authorization server (step 2): 303 on success, 401 when refused. */
async function signInStatus(username: string, password: string): Promise<number> {
  const browser = httpBrowser()
  const auth = lab.config.auth.publicUrl
  const page = await browser.get(`${auth}/authorize?${authorizeQuery(lab.config)}`)
  const res = await browser.post(`${auth}/login`, {
    _csrf: hiddenField(page.body, '_csrf'),
    interaction: hiddenField(page.body, 'interaction'),
    username,
    password,
  })
  return res.status
}

describe('POST /teacher/reset', () => {
  it('needs the lab key and the form\u2019s CSRF token, then forgets the learners and their flows', async () => {
    const teacher = await teacherBrowser()
    const page = await teacher.get(`${base}/teacher`)
    const csrf = hiddenField(page.body, '_csrf')
    expect((await ada.browser.post(`${base}/teacher/reset`, { _csrf: csrf })).status).toBe(401)
    expect((await teacher.post(`${base}/teacher/reset`, { _csrf: 'forged' })).status).toBe(403)
    expect((await teacher.get(`${base}/teacher`)).body).toContain(`data-learner="${ada.username}"`)

    const reset = await teacher.post(`${base}/teacher/reset`, { _csrf: csrf })
    expect(reset.status).toBe(303)
    const after = await teacher.get(`${base}/teacher`)
    expect(after.body).not.toContain('data-learner=')
    expect(after.body).toContain('Nobody has joined yet')
    // Ada's lab user is gone at the authorization server: it signs in no more; alice still does.
    expect(await signInStatus(ada.username, ada.password)).toBe(401)
    expect(await signInStatus('alice', 'alice-password')).toBe(303)
    // The learner is asked to join again; joining again starts with no progress.
    expect((await ada.browser.get(`${base}/`)).body).toContain('href="/join"')
    const again = await ada.browser.get(`${base}/join`)
    const rejoined = await ada.browser.post(`${base}/join`, { _csrf: hiddenField(again.body, '_csrf'), name: 'Ada' })
    expect(rejoined.status).toBe(200)
    const json = JSON.parse((await teacher.get(`${base}/teacher/export.json`)).body) as Exported
    expect(json.learners).toHaveLength(1)
    expect(json.learners[0]).toMatchObject({ name: 'Ada', reached: 0, attacks: [] })
  })
})
