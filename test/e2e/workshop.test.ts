// Workshop mode end to end, over real HTTP between the three servers: two
// learners, then thirty, each in a cookie jar of their own, join, sign in as
// their own lab user, consent, and fetch the resource. Each sees only their
// own flows, user and decisions in the inspector: one learner's remembered
// decision never skips another's consent, and nothing of another learner's
// flow (code, state, token, username, password) reaches their pages.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { joinAs, walkSevenSteps, type JoinedLearner, type Walked } from '../helpers/workshop.js'

let lab: TestLab
let base: string
let authUrl: string

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  base = lab.config.client.publicUrl
  authUrl = lab.config.auth.publicUrl
})
afterAll(() => lab.close())

interface Ran {
  readonly learner: JoinedLearner
  readonly walked: Walked
}

interface FlowJson {
  readonly checks: { readonly accessToken?: string; readonly state?: string }
}

/** The access token's sub, as the learner's own inspector shows it. */
function subOf(token: string | undefined): unknown {
  const payload = token?.split('.')[1]
  return payload === undefined
    ? undefined
    : (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown }).sub
}

/** What each learner is served: the latest flow as JSON, the inspector's page and fragment, the token page, Break it, the join page. */
async function inspectorOf(learner: JoinedLearner): Promise<string[]> {
  const paths = ['/flow/latest.json', '/flow', '/flow?fragment=1', '/', '/break', '/join', '/settings/step-through']
  return Promise.all(paths.map(async (path) => (await learner.browser.get(`${base}${path}`)).body))
}

function secretsOf(ran: Ran): string[] {
  return [ran.walked.code, ran.walked.state, ran.learner.username, ran.learner.password]
}

/** Every learner's inspector shows their own flow, as their own user, and nothing of the others'. */
async function expectIsolated(runs: readonly Ran[]): Promise<void> {
  for (const own of runs) {
    const served = await inspectorOf(own.learner)
    const json = JSON.parse(served[0]!) as FlowJson
    expect(json.checks.state).toBe(own.walked.state)
    expect(subOf(json.checks.accessToken)).toBe(own.learner.username)
    for (const other of runs) {
      if (other === own) continue
      for (const body of served)
        for (const secret of secretsOf(other))
          expect([own.learner.username, secret, body.includes(secret)]).toEqual([own.learner.username, secret, false])
    }
  }
}

/** Joins and walks `names` in parallel batches of `batch` (bounded). */
async function runAll(names: readonly string[], batch: number): Promise<Ran[]> {
  const runs: Ran[] = []
  for (let i = 0; i < names.length; i += batch) {
    const chunk = names.slice(i, i + batch)
    runs.push(
      ...(await Promise.all(
        chunk.map(async (name) => {
          const learner = await joinAs(base, name)
          return { learner, walked: await walkSevenSteps(base, authUrl, learner) }
        }),
      )),
    )
  }
  return runs
}

describe('two learners', () => {
  let runs: Ran[]
  beforeAll(async () => {
    runs = await runAll(['Ada', 'Ada'], 1)
  })

  it('gives each their own lab user, and each is asked for consent', () => {
    const [ada1, ada2] = runs
    expect(ada1?.learner.username).not.toBe(ada2?.learner.username)
    for (const ran of runs) {
      expect(ran.walked.consentShown).toBe(true)
      // The resource answers for the learner's own user (step 7).
      expect(ran.walked.resourcePage.body).toContain(`&quot;sub&quot;: &quot;${ran.learner.username}&quot;`)
    }
  })

  it('remembers each learner\u2019s decision for that learner only', async () => {
    const [first] = runs
    const again = await walkSevenSteps(base, authUrl, first!.learner)
    expect(again.consentShown).toBe(false)
    const grants = await first!.learner.browser.get(`${authUrl}/account/grants`)
    expect(grants.status).toBe(200)
    expect(grants.body).toContain(first!.learner.username)
    expect(grants.body).not.toContain(runs[1]!.learner.username)
    runs[0] = { learner: first!.learner, walked: again }
  })

  it('shows each learner only their own flows in the inspector', async () => {
    await expectIsolated(runs)
  })
})

describe('thirty learners', () => {
  it('each joins, signs in as their own user, consents and sees only their own flows', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `Learner ${i + 1}`)
    const runs = await runAll(names, 6)
    expect(new Set(runs.map((r) => r.learner.username)).size).toBe(30)
    // Nobody's remembered decision skipped anybody else's consent.
    for (const ran of runs)
      expect([ran.learner.username, ran.walked.consentShown]).toEqual([ran.learner.username, true])
    await expectIsolated(runs)
  }, 120_000)
})
