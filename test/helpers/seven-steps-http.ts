// The seven steps as a learner clicks them, over real HTTP against a lab that
// runs elsewhere (another process, a single file, an executable): Connect,
// sign in as alice, allow, back with a code, the token page, Fetch resource.
// Returns what each step showed, for the test to check.

import { hiddenField } from './inject-browser.js'
import { httpBrowser, type HttpResponse } from './http-browser.js'

export interface SevenStepsUrls {
  readonly auth: string
  readonly client: string
}

export interface SevenStepsWalk {
  readonly home: HttpResponse
  readonly authorizeUrl: URL
  readonly login: HttpResponse
  readonly consent: HttpResponse
  readonly callback: URL
  readonly tokenPage: HttpResponse
  readonly resourcePage: HttpResponse
}

export async function walkSevenSteps(urls: SevenStepsUrls): Promise<SevenStepsWalk> {
  const browser = httpBrowser()
  const home = await browser.get(`${urls.client}/`)
  // Step 1: the client redirects to the authorization endpoint.
  const authorizeUrl = new URL(browser.location(await browser.get(`${urls.client}/connect`)))
  // Step 2: sign in.
  const login = await browser.get(authorizeUrl.href)
  const signedIn = await browser.post(`${urls.auth}/login`, {
    _csrf: hiddenField(login.body, '_csrf'),
    interaction: hiddenField(login.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  // Step 3: consent.
  const consent = await browser.get(browser.location(signedIn))
  const allowed = await browser.post(`${urls.auth}/consent`, {
    _csrf: hiddenField(consent.body, '_csrf'),
    interaction: hiddenField(consent.body, 'interaction'),
    decision: 'allow',
    remember: 'on',
  })
  // Step 4: back with a code; steps 5 and 6 happen behind the token page.
  const callback = new URL(browser.location(allowed))
  const tokenPage = await browser.get(callback.href)
  // Step 7: the resource.
  const resourcePage = await browser.post(`${urls.client}/fetch-resource`, {
    _csrf: hiddenField(tokenPage.body, '_csrf'),
  })
  return { home, authorizeUrl, login, consent, callback, tokenPage, resourcePage }
}
