// Workshop mode over real HTTP: a learner (a cookie jar of their own) joins
// the client app and runs the seven steps as their own lab user.

import { expect } from 'vitest'
import { httpBrowser, type HttpResponse } from './http-browser.js'
import { hiddenField } from './inject-browser.js'

export type Browser = ReturnType<typeof httpBrowser>

export interface JoinedLearner {
  readonly browser: Browser
  readonly name: string
  readonly username: string
  readonly password: string
}

const codeOf = (html: string, id: string) => new RegExp(`id="${id}">([^<]+)<`).exec(html)?.[1]

export async function joinAs(clientUrl: string, name: string): Promise<JoinedLearner> {
  const browser = httpBrowser()
  const form = await browser.get(`${clientUrl}/join`)
  const joined = await browser.post(`${clientUrl}/join`, { _csrf: hiddenField(form.body, '_csrf'), name })
  expect(joined.status).toBe(200)
  const username = codeOf(joined.body, 'learner-username')
  const password = codeOf(joined.body, 'learner-password')
  if (username === undefined || password === undefined) throw new Error('the join page shows no user')
  return { browser, name, username, password }
}

export interface Walked {
  /** Whether the consent page was shown (step 3), or skipped by a remembered decision. */
  readonly consentShown: boolean
  /** The resource server's answer, as the client's page shows it. */
  readonly resourcePage: HttpResponse
  /** The code and state of step 4. */
  readonly code: string
  readonly state: string
}

/** Connect, sign in as the learner's own user, consent (remembered) when asked, back with a code, fetch the resource. */
export async function walkSevenSteps(clientUrl: string, authUrl: string, learner: JoinedLearner): Promise<Walked> {
  const { browser } = learner
  const connect = await browser.get(`${clientUrl}/connect`)
  expect(connect.status).toBe(302)
  let res = await browser.get(browser.location(connect))
  if (res.status === 200 && res.body.includes('name="password"')) {
    res = await browser.post(`${authUrl}/login`, {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: learner.username,
      password: learner.password,
    })
    expect(res.status).toBe(303)
    res = await browser.get(browser.location(res))
  }
  const consentShown = res.status === 200 && res.body.includes('name="decision"')
  if (consentShown) {
    res = await browser.post(`${authUrl}/consent`, {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
      remember: 'on',
    })
  }
  const callback = new URL(browser.location(res))
  const page = await browser.get(callback.href)
  expect(page.status).toBe(200)
  const resourcePage = await browser.post(`${clientUrl}/fetch-resource`, { _csrf: hiddenField(page.body, '_csrf') })
  expect(resourcePage.status).toBe(200)
  return {
    consentShown,
    resourcePage,
    code: callback.searchParams.get('code') ?? '',
    state: callback.searchParams.get('state') ?? '',
  }
}
