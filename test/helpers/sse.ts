// Server-sent events over real HTTP, read as a browser's EventSource reads
// them: each event's name and its data (JSON here), in the order they came.

export interface SseEvent {
  readonly event: string
  readonly data: string
}

export interface SseStream {
  readonly status: number
  /** Every event received so far. */
  readonly events: SseEvent[]
  /** Waits (at most `ms`) for an event that `match` accepts; undefined when none came. */
  next(match: (e: SseEvent) => boolean, ms: number): Promise<SseEvent | undefined>
  close(): void
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  const events: SseEvent[] = []
  const waiters = new Set<() => void>()
  let buffer = ''
  const read = async () => {
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }))
      if (chunk.done) return
      buffer += decoder.decode(chunk.value, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const name = /^event: (.*)$/m.exec(block)?.[1]
        const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n')
        if (name !== undefined) events.push({ event: name, data })
        end = buffer.indexOf('\n\n')
      }
      for (const wake of waiters) wake()
    }
  }
  if (res.status === 200) void read()
  return {
    status: res.status,
    events,
    async next(match, ms) {
      const deadline = Date.now() + ms
      for (;;) {
        const found = events.find(match)
        if (found !== undefined || Date.now() >= deadline) return found
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.max(0, deadline - Date.now()))
          function done() {
            clearTimeout(timer)
            waiters.delete(done)
            resolve()
          }
          waiters.add(done)
        })
      }
    },
    close: () => controller.abort(),
  }
}
