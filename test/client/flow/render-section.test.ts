// The flow section rendered with each exchange's <article> rendered once
// (render-section.ts, views/client/flow-entry.eta) is byte for byte what the
// section rendered in one piece, with every <article> inline in flow-step.eta
// (the template as it was, kept beside this test), for real seven-step flows
// of a learner in workshop mode, at both levels of detail.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Eta } from 'eta'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PageModel } from '../../../src/client/flow/inspector.js'
import { renderSection } from '../../../src/client/flow/render-section.js'
import { VIEWS_DIR } from '../../../src/shared/html.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { joinAs, walkSevenSteps, type JoinedLearner } from '../../helpers/workshop.js'
import { learnerInspector, type LearnerInspector } from './learner-inspector.js'

let lab: TestLab
let ada: JoinedLearner
let seen: LearnerInspector
let inlineViews: string
let inline: Eta

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  const base = lab.config.client.publicUrl
  ada = await joinAs(base, 'Ada')
  // The first flow signs in and consents; the second is let through by the remembered decision.
  await walkSevenSteps(base, lab.config.auth.publicUrl, ada)
  await walkSevenSteps(base, lab.config.auth.publicUrl, ada)
  seen = await learnerInspector(lab, ada)
  // The views as they were: every exchange's <article> inline in flow-step.eta.
  inlineViews = mkdtempSync(join(tmpdir(), 'oauth-lab-views-'))
  cpSync(VIEWS_DIR, inlineViews, { recursive: true })
  writeFileSync(
    join(inlineViews, 'client', 'flow-step.eta'),
    readFileSync(new URL('./flow-step.inline.eta', import.meta.url)),
  )
  // The options of the apps' own Eta (src/shared/html.ts).
  inline = new Eta({ views: inlineViews, cache: true, autoEscape: true })
})
afterAll(async () => {
  await lab.close()
  rmSync(inlineViews, { recursive: true, force: true })
})

const inOnePiece = (model: PageModel) => inline.renderAsync('client/flow-section', model)

describe('renderSection', () => {
  it('renders each flow of a learner, at both levels of detail, exactly as the section in one piece', async () => {
    const { inspector, viewer } = seen
    const flows = await inspector.flows(viewer)
    expect(flows).toHaveLength(2)
    for (const flow of flows)
      for (const everything of [false, true]) {
        const model = await inspector.page(flow.id, viewer, everything)
        expect(model.flow?.steps.flatMap((s) => s.entries).length).toBeGreaterThan(5)
        const expected = await inOnePiece(model)
        expect(expected).toContain(`data-flow-id="${flow.id}"`)
        // Rendered once (each entry's HTML now kept), again (from what was kept), and without
        // anything kept (a copy of the model: other EntryView objects).
        expect(await renderSection(lab.client, model)).toBe(expected)
        expect(await renderSection(lab.client, model)).toBe(expected)
        expect(await renderSection(lab.client, structuredClone(model))).toBe(expected)
      }
  })

  it('renders the live stream’s section (the latest flow) and a page without a flow as before', async () => {
    const { inspector, viewer } = seen
    const { model } = await inspector.snapshot(undefined, viewer)
    expect(await renderSection(lab.client, model)).toBe(await inOnePiece(model))
    const none = await inspector.page(undefined, { kind: 'none' })
    expect(none.flow).toBeUndefined()
    expect(await renderSection(lab.client, none)).toBe(await inOnePiece(none))
  })

  it('puts the same section in the /flow page as in /flow?fragment=1', async () => {
    const base = lab.config.client.publicUrl
    const [page, fragment] = await Promise.all([
      ada.browser.get(`${base}/flow`),
      ada.browser.get(`${base}/flow?fragment=1`),
    ])
    expect([page.status, fragment.status]).toEqual([200, 200])
    expect(fragment.headers.get('content-type')).toBe('text/html; charset=utf-8')
    // "issued 3 s ago" may read "4 s" a request later.
    const timeless = (html: string) => html.replace(/<strong>[^<]*<\/strong> <span class="muted">\(/g, '<strong>…')
    expect(fragment.body).toContain('class="exchange server-client')
    expect(timeless(page.body)).toContain(timeless(fragment.body))
  })
})
