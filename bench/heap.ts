// The live heap of another Node process, exactly: the process runs with
// --inspect on a loopback port, and over the inspector protocol (Chrome
// DevTools Protocol) we force a full garbage collection, then read
// process.memoryUsage().heapUsed. What is left after a forced collection is
// what the server really keeps; RSS and the heap between collections also hold
// garbage not yet collected, and an idle V8 may not collect for minutes.

import { WebSocket } from 'undici'

export interface HeapProbe {
  /** MB of live heap after a forced full collection. */
  liveHeapMb(): Promise<number>
  close(): void
}

/** The DevTools URL that `node --inspect=127.0.0.1:0` prints on stderr, if this line is it. */
export function inspectorUrl(line: string): string | undefined {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(line)?.[1]
}

export async function connectHeapProbe(url: string, timeoutMs = 5000): Promise<HeapProbe> {
  const socket = new WebSocket(url)
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let nextId = 0
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } }
    const waiter = message.id === undefined ? undefined : pending.get(message.id)
    if (!waiter) return
    pending.delete(message.id!)
    if (message.error) waiter.reject(new Error(message.error.message))
    else waiter.resolve(message.result)
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no inspector at ${url} within ${timeoutMs} ms`)), timeoutMs)
    socket.addEventListener('open', () => (clearTimeout(timer), resolve()))
    socket.addEventListener(
      'error',
      () => (clearTimeout(timer), reject(new Error(`cannot reach the inspector at ${url}`))),
    )
  })
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId
      const timer = setTimeout(
        () => (pending.delete(id), reject(new Error(`${method}: no answer within ${timeoutMs} ms`))),
        timeoutMs,
      )
      pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      })
      socket.send(JSON.stringify({ id, method, params }))
    })
  return {
    async liveHeapMb() {
      await call('HeapProfiler.collectGarbage')
      const answer = (await call('Runtime.evaluate', {
        expression: 'process.memoryUsage().heapUsed',
        returnByValue: true,
      })) as { result: { value: number } }
      return answer.result.value / (1024 * 1024)
    },
    close: () => socket.close(),
  }
}
