// Reading the lab's own HTML pages as a browser would: Eta escapes & < > " '.

/** Undoes Eta's escaping (`&amp;` last, so `&amp;lt;` stays `&lt;`). */
export function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The value of a hidden input, e.g. `_csrf` or `interaction` on the login and consent pages. */
export function hiddenField(html: string, name: string): string | undefined {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)
  return match?.[1] === undefined ? undefined : decodeEntities(match[1])
}

/** The text of an element's content: tags dropped, entities decoded, trimmed. */
export function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, '')).trim()
}
