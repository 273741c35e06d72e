// A tiny "browser" over Fastify's inject(): keeps cookies and reads forms, so
// route tests can walk the login and consent pages like a user does.

import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { createCookieJar } from '../../src/shared/cookie-jar.js'
import { at } from './lists.js'

/** inject() never leaves the process; any one host name stands for the app. */
const APP_URL = new URL('http://localhost/')

export interface InjectBrowser {
  request(opts: InjectOptions): Promise<LightMyRequestResponse>
  get(url: string): Promise<LightMyRequestResponse>
  postForm(url: string, form: Record<string, string>): Promise<LightMyRequestResponse>
  readonly cookies: Map<string, string>
}

export function injectBrowser(app: FastifyInstance): InjectBrowser {
  const jar = createCookieJar()
  async function request(opts: InjectOptions): Promise<LightMyRequestResponse> {
    const cookie = jar.header(APP_URL)
    const headers = { ...(opts.headers ?? {}), ...(cookie === undefined ? {} : { cookie }) }
    const res = await app.inject({ ...opts, headers })
    const setCookie = res.headers['set-cookie']
    jar.store(APP_URL, typeof setCookie === 'number' ? undefined : setCookie)
    return res
  }
  return {
    cookies: jar.cookies(APP_URL),
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
  return at(match, 1).replace(/&amp;/g, '&')
}

/** The query parameters of a redirect's Location. */
export function locationParams(res: LightMyRequestResponse): URLSearchParams {
  const location = res.headers.location
  if (typeof location !== 'string') throw new Error(`no Location header (status ${res.statusCode})`)
  return new URL(location, 'http://relative.invalid').searchParams
}
