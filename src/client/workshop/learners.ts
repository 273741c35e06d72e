// Workshop mode: which learner each browser is. A learner joins once per
// browser (the inspector's `oauth_lab_browser` id, known here by its hash, as
// every server records it) and gets a lab user of their own on the
// authorization server. In memory and bounded; the teacher's "Reset the room"
// forgets them all.

/** Learners at most: the authorization server gives no more lab users than this either. */
export const MAX_LEARNERS = 200

export interface Learner {
  /** As typed (trimmed); escaped wherever it is shown. */
  readonly name: string
  /** The lab user the authorization server made for this learner (`ada-07`); also its `sub`. */
  readonly username: string
  /** Shown to the learner, who types it at step 2. */
  readonly password: string
  /** The browser's hash (flow-masking.ts's browserHash): the key of its recorded exchanges. */
  readonly browser: string
  readonly joinedAt: number
}

export interface LearnerRegistry {
  byBrowser(browser: string): Learner | undefined
  /** False when the room is full. */
  add(learner: Learner): boolean
  /** In the order they joined. */
  all(): readonly Learner[]
  readonly size: number
  readonly max: number
  /** When the room was last reset (0: never): flows started before belong to an earlier session. */
  readonly since: number
  reset(now: number): void
}

export function createLearnerRegistry(max = MAX_LEARNERS): LearnerRegistry {
  const byBrowser = new Map<string, Learner>()
  let since = 0
  return {
    byBrowser: (browser) => byBrowser.get(browser),
    add(learner) {
      if (byBrowser.has(learner.browser)) return true
      if (byBrowser.size >= max) return false
      byBrowser.set(learner.browser, learner)
      return true
    },
    all: () => [...byBrowser.values()],
    max,
    get size() {
      return byBrowser.size
    },
    get since() {
      return since
    },
    reset(now) {
      byBrowser.clear()
      since = now
    },
  }
}
