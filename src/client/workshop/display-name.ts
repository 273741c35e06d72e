// The display name a learner types at /join: trimmed, 1 to 40 printable
// characters (no control, format or unassigned code points, no line breaks).

export const MAX_NAME_LENGTH = 40

/** `\p{C}`: control, format, surrogate, private-use and unassigned characters. */
const UNPRINTABLE = /\p{C}/u

/** The name to use, or why it cannot be used. */
export function checkDisplayName(raw: unknown): { name: string } | { problem: string } {
  if (typeof raw !== 'string') return { problem: 'Type a display name.' }
  const name = raw.trim()
  if (name.length === 0) return { problem: 'Type a display name.' }
  // Counted in characters (code points), as a person counts them.
  if ([...name].length > MAX_NAME_LENGTH)
    return { problem: `A display name has at most ${MAX_NAME_LENGTH} characters.` }
  if (UNPRINTABLE.test(name)) return { problem: 'A display name has printable characters only.' }
  return { name }
}
