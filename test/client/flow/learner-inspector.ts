// An inspector of its own over a started lab, seeing what one learner's
// browser sees: the same collector, correlation and page model as the client
// app's /flow and its live stream (flow/push.ts), built outside the app so a
// test can hold the model and render it more than one way.

import { expect } from 'vitest'
import { createInspector, type Inspector } from '../../../src/client/flow/inspector.js'
import type { Viewer } from '../../../src/client/flow/visibility.js'
import { BROWSER_COOKIE, browserHash } from '../../../src/shared/flow-masking.js'
import { createFlowRecorder, type RecordedExchange } from '../../../src/shared/flow-recorder.js'
import type { TestLab } from '../../helpers/lab.js'
import type { JoinedLearner } from '../../helpers/workshop.js'

export interface LearnerInspector {
  readonly inspector: Inspector
  readonly viewer: Viewer
}

/** The client app's exchanges so far: its own recorder is inside the app, so they are read over HTTP. */
async function clientExchanges(lab: TestLab): Promise<RecordedExchange[]> {
  const res = await fetch(`${lab.config.client.publicUrl}/_lab/exchanges?since=0`, {
    headers: { authorization: `Bearer ${lab.config.labKey}` },
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { exchanges: RecordedExchange[] }).exchanges
}

function withoutNumber(e: RecordedExchange): Omit<RecordedExchange, 'seq' | 'role'> {
  const { browser, startedAt, durationMs, request, response } = e
  return { ...(browser === undefined ? {} : { browser }), startedAt, durationMs, request, response }
}

/** An inspector holding every exchange so far, and the learner's browser as its viewer. */
export async function learnerInspector(lab: TestLab, learner: JoinedLearner): Promise<LearnerInspector> {
  const recorder = createFlowRecorder('client', 1000)
  // Recorded again (add() numbers them anew): the client's, as its own recorder holds them.
  for (const exchange of await clientExchanges(lab)) recorder.add(withoutNumber(exchange))
  const inspector = createInspector(lab.config, fetch, recorder)
  const id = learner.browser.cookie(lab.config.client.publicUrl, BROWSER_COOKIE)
  expect(id).toBeDefined()
  const viewer: Viewer = { kind: 'browser', browser: browserHash(id!) }
  // Pulls the two other servers' exchanges; a live update then works from what is collected.
  await inspector.flows(viewer)
  return { inspector, viewer }
}
