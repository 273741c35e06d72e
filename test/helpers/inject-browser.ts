// A tiny "browser" over Fastify's inject(): keeps cookies and reads forms, so
// route tests can walk the login and consent pages like a user does.

import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'

export interface InjectBrowser {
  request(opts: InjectOptions): Promise<LightMyRequestResponse>
  get(url: string): Promise<LightMyRequestResponse>
  postForm(url: string, form: Record<string, string>): Promise<LightMyRequestResponse>
  readonly cookies: Map<string, string>
}

export function injectBrowser(app: FastifyInstance): InjectBrowser {
  const cookies = new Map<string, string>()
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  async function request(opts: InjectOptions): Promise<LightMyRequestResponse> {
    const headers = { ...(opts.headers ?? {}), ...(cookies.size ? { cookie: cookieHeader() } : {}) }
    const res = await app.inject({ ...opts, headers })
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) cookies.delete(c.name)
      else cookies.set(c.name, c.value)
    }
    return res
  }
  return {
    cookies,
    request,
    get: (url) => request({ method: 'GET', url }),
    postForm: (url, form) =>
      request({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      }),
  }
}

/** The value of a hidden input in an HTML page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)
  if (!match) throw new Error(`no hidden field ${name} in page`)
  return match[1].replace(/&amp;/g, '&')
}

/** The query parameters of a redirect's Location. */
export function locationParams(res: LightMyRequestResponse): URLSearchParams {
  const location = res.headers.location
  if (typeof location !== 'string') throw new Error(`no Location header (status ${res.statusCode})`)
  return new URL(location, 'http://relative.invalid').searchParams
}
