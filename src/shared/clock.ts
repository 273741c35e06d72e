// A clock that runs with real time but can be moved forward, so tests can
// expire codes and tokens without sleeping.

export interface LabClock {
  /** Milliseconds since the epoch, as the lab sees them. */
  now(): number
  /** Moves the lab's time forward (or back, with a negative value). */
  advance(ms: number): void
  /** Sets the lab's current time; it keeps running from there. */
  set(epochMs: number): void
}

export function createClock(realNow: () => number = Date.now): LabClock {
  let offset = 0
  return {
    now: () => realNow() + offset,
    advance: (ms) => void (offset += ms),
    set: (epochMs) => void (offset = epochMs - realNow()),
  }
}
