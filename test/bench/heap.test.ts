// The memory run's heap probe against a real Node process with --inspect:
// it must see what the process keeps alive, and only that.

import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { connectHeapProbe, inspectorUrl, type HeapProbe } from '../../bench/heap.js'

let child: ChildProcess | undefined
let probe: HeapProbe | undefined
afterEach(() => {
  probe?.close()
  child?.kill()
})

function startChild(code: string): Promise<string> {
  child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no inspector URL within 10 s')), 10_000)
    createInterface({ input: child!.stderr! }).on('line', (line) => {
      const url = inspectorUrl(line)
      if (!url) return
      clearTimeout(timer)
      resolve(url)
    })
  })
}

describe('the heap probe', () => {
  it('reads the live heap after a forced collection: kept data counts, garbage does not', async () => {
    // Keeps 40 MB alive and makes 40 MB of garbage once a second.
    const url = await startChild(
      // Arrays of doubles (8 bytes each, 1 MB per array): cheap to make, so the child stays responsive on a busy machine.
      'globalThis.kept = Array.from({ length: 40 }, () => new Array(1 << 17).fill(0.5)); setInterval(() => { Array.from({ length: 40 }, () => new Array(1 << 17).fill(0.25)) }, 1000)',
    )
    probe = await connectHeapProbe(url)
    const live = await probe.liveHeapMb()
    expect(live).toBeGreaterThan(38)
    expect(live).toBeLessThan(75)
  }, 20_000)
})
