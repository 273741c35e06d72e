// The answer that stopped an attack, as plain display data: status, error,
// error_description verbatim, and the headers that carry them. The error is
// read where each kind of answer puts it: RFC 6749 §5.2 JSON, RFC 6750 §3 JSON
// body (mirroring WWW-Authenticate), an RFC 6749 §4.1.2.1 redirect, or the
// client app's own HTML error page.

import type { AgentResponse } from './agent.js'
import { textOf } from './html-text.js'

export interface AnswerView {
  readonly status: number
  readonly error?: string
  readonly errorDescription?: string
  readonly wwwAuthenticate?: string
  readonly location?: string
  /** Refused (4xx/5xx) or sent back with an error. */
  readonly stopped: boolean
}

interface ErrorFields {
  readonly error?: string
  readonly errorDescription?: string
}

function fromJson(body: string): ErrorFields {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown }
    return {
      ...(typeof parsed.error === 'string' ? { error: parsed.error } : {}),
      ...(typeof parsed.error_description === 'string' ? { errorDescription: parsed.error_description } : {}),
    }
  } catch {
    return {}
  }
}

function fromLocation(location: string | null, base: string): ErrorFields {
  if (location === null) return {}
  const params = new URL(location, base).searchParams
  const error = params.get('error')
  const description = params.get('error_description')
  return { ...(error === null ? {} : { error }), ...(description === null ? {} : { errorDescription: description }) }
}

/** The client's error page (views/error.eta): its title is the error, its alert the description. */
function fromHtml(body: string): ErrorFields {
  const title = /<h1>([\s\S]*?)<\/h1>/.exec(body)?.[1]
  const alert = /<p class="error" role="alert">([\s\S]*?)<\/p>/.exec(body)?.[1]
  return {
    ...(title === undefined ? {} : { error: textOf(title) }),
    ...(alert === undefined ? {} : { errorDescription: textOf(alert) }),
  }
}

function errorFields(response: AgentResponse): ErrorFields {
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('json')) return fromJson(response.body)
  if (response.status >= 300 && response.status < 400)
    return fromLocation(response.headers.get('location'), response.url)
  if (type.includes('html') && response.status >= 400) return fromHtml(response.body)
  return {}
}

export function answerView(response: AgentResponse): AnswerView {
  const fields = errorFields(response)
  const wwwAuthenticate = response.headers.get('www-authenticate')
  const location = response.headers.get('location')
  return {
    status: response.status,
    ...fields,
    ...(wwwAuthenticate === null ? {} : { wwwAuthenticate }),
    ...(location === null ? {} : { location }),
    stopped: response.status >= 400 || fields.error !== undefined,
  }
}
