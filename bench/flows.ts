// The flows the bench times, each as a browser (or a client) performs it,
// request by request. A flow throws on any unexpected answer, so a rate is
// only ever a rate of flows that worked.

import { createHash } from 'node:crypto'
import type { Agent } from 'undici'
import { Browser, basic, expectStatus, hiddenField, resolve } from './http.js'

export const CLIENT_ID = 'oauth-client-1'
export const CLIENT_SECRET = 'oauth-client-secret-1'
export const RESOURCE_CLIENT_ID = 'oauth-resource-1'
export const RESOURCE_CLIENT_SECRET = 'oauth-resource-secret-1'
export const USER = { username: 'alice', password: 'alice-password' }
export const SCOPE = 'foo bar'
/** One PKCE pair for every flow: the servers hash the verifier each time all the same. */
export const CODE_VERIFIER = 'oauth-lab-bench-verifier-0123456789-abcdefghijklmnop'
export const CODE_CHALLENGE = createHash('sha256').update(CODE_VERIFIER).digest('base64url')

export interface LabUrls {
  /** Public URLs, as the lab's pages and redirects name them (http://localhost:PORT). */
  readonly auth: string
  readonly resource: string
  readonly client: string
}

export function labUrls(ports: { auth: number; resource: number; client: number }): LabUrls {
  return {
    auth: `http://localhost:${ports.auth}`,
    resource: `http://localhost:${ports.resource}`,
    client: `http://localhost:${ports.client}`,
  }
}

export function redirectUri(lab: Pick<LabUrls, 'client'>): string {
  return `${lab.client}/authenticated`
}

/** Step 1's URL as the client app builds it (response_type=code, state, S256 PKCE). */
export function authorizeUrl(authorizationEndpoint: string, redirect: string, state: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirect,
    scope: SCOPE,
    state,
    code_challenge: CODE_CHALLENGE,
    code_challenge_method: 'S256',
  })
  return `${authorizationEndpoint}?${query}`
}

function codeOf(location: string): string {
  const code = new URL(location).searchParams.get('code')
  if (code === null) throw new Error(`no code in ${location}`)
  return code
}

/** Steps 1-2 at the authorization server: the login form, filled and sent. */
async function signIn(browser: Browser, lab: LabUrls, authorize: string): Promise<string> {
  const page = await browser.get(authorize)
  expectStatus(page, 200, 'GET /authorize (login page)')
  const login = await browser.post(`${lab.auth}/login`, {
    _csrf: hiddenField(page.body, '_csrf') ?? '',
    interaction: hiddenField(page.body, 'interaction') ?? '',
    ...USER,
  })
  expectStatus(login, 303, 'POST /login')
  return resolve(login.location, lab.auth)
}

/**
 * Once per lab: alice signs in and allows with "Remember this decision", so
 * later flows skip the consent page (docs/contract.md: a remembered decision).
 * Returns the signed-in browser, whose session can mint codes.
 */
export async function rememberConsent(agent: Agent, lab: LabUrls): Promise<Browser> {
  const browser = new Browser(agent)
  const resumed = await signIn(browser, lab, authorizeUrl(`${lab.auth}/authorize`, redirectUri(lab), 'prime'))
  const page = await browser.get(resumed)
  if (page.status === 302) return browser
  expectStatus(page, 200, 'GET /authorize (consent page)')
  const consent = await browser.post(`${lab.auth}/consent`, {
    _csrf: hiddenField(page.body, '_csrf') ?? '',
    interaction: hiddenField(page.body, 'interaction') ?? '',
    decision: 'allow',
    remember: 'on',
  })
  expectStatus(consent, 303, 'POST /consent')
  codeOf(resolve(consent.location, lab.auth))
  return browser
}

/**
 * The seven steps as a browser does them, with a fresh cookie jar: Connect on
 * the client app (1), the login page and sign-in (2), the remembered consent
 * (3) and the redirect with the code (4), the callback where the client app
 * redeems the code (5-6), and Fetch resource (7). Six browser requests; the
 * client app adds the token and resource requests on its back channel.
 */
export async function labBrowserFlow(agent: Agent, lab: LabUrls): Promise<void> {
  const browser = new Browser(agent)
  const connect = await browser.get(`${lab.client}/connect`, false)
  expectStatus(connect, 302, 'GET /connect')
  const resumed = await signIn(browser, lab, resolve(connect.location, lab.client))
  const back = await browser.get(resumed, false)
  expectStatus(back, 302, 'GET /authorize (remembered consent)')
  const callback = await browser.get(resolve(back.location, lab.auth))
  expectStatus(callback, 200, 'GET /authenticated')
  const fetched = await browser.post(`${lab.client}/fetch-resource`, {
    _csrf: hiddenField(callback.body, '_csrf') ?? '',
  })
  expectStatus(fetched, 200, 'POST /fetch-resource')
  if (!fetched.body.includes('id="resource-status">200<'))
    throw new Error('POST /fetch-resource: the resource server did not answer 200')
}

/**
 * The authorization server alone, for the memory curve: a new browser signs
 * in, gets a code through the remembered consent, and the code is redeemed.
 * Every flow leaves a session, a consumed code, a token family and a refresh
 * token behind: what the server must purge once they expire.
 */
export async function labAuthFlow(agent: Agent, lab: LabUrls): Promise<void> {
  const browser = new Browser(agent)
  const resumed = await signIn(browser, lab, authorizeUrl(`${lab.auth}/authorize`, redirectUri(lab), 'memory'))
  const back = await browser.get(resumed, false)
  expectStatus(back, 302, 'GET /authorize (remembered consent)')
  const token = await browser.post(
    `${lab.auth}/token`,
    codeGrant(codeOf(resolve(back.location, lab.auth)), redirectUri(lab)),
    {
      authorization: basic(CLIENT_ID, CLIENT_SECRET),
    },
  )
  expectStatus(token, 200, 'POST /token')
}

export function codeGrant(code: string, redirect: string): Record<string, string> {
  return { grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: CODE_VERIFIER }
}

/**
 * Authorization codes made ahead of a token-endpoint run: the signed-in
 * browser asks /authorize again and again (remembered consent answers each
 * with a 302 and a fresh code). Bounded by count.
 */
export async function mintCodes(signedIn: Browser, lab: LabUrls, count: number, concurrency = 32): Promise<string[]> {
  const codes: string[] = []
  const url = authorizeUrl(`${lab.auth}/authorize`, redirectUri(lab), 'mint')
  let started = 0
  const worker = async () => {
    while (started < count) {
      started++
      const answer = await signedIn.get(url, false)
      expectStatus(answer, 302, 'GET /authorize (minting codes)')
      codes.push(codeOf(resolve(answer.location, lab.auth)))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return codes
}

/**
 * An access token from a full flow (alice, scope foo bar), for the resource
 * and introspection runs: the token those endpoints see in real use.
 */
export async function userAccessToken(signedIn: Browser, lab: LabUrls): Promise<string> {
  const [code] = await mintCodes(signedIn, lab, 1, 1)
  if (code === undefined) throw new Error('no authorization code to redeem for an access token')
  const answer = await signedIn.post(`${lab.auth}/token`, codeGrant(code, redirectUri(lab)), {
    authorization: basic(CLIENT_ID, CLIENT_SECRET),
  })
  expectStatus(answer, 200, 'POST /token')
  return (JSON.parse(answer.body) as { access_token: string }).access_token
}

// ---- the anchors

/**
 * oidc-provider's authorization-code flow with its built-in (dev) interaction
 * pages, as a browser with a fresh jar: /auth, then whatever pages it shows
 * (login, and consent unless a grant is remembered), each form posted, every
 * redirect followed until it lands on the redirect URI; then the token request.
 */
export async function oidcProviderFlow(agent: Agent, issuer: string, redirect: string): Promise<void> {
  const browser = new Browser(agent)
  let url = authorizeUrl(`${issuer}/auth`, redirect, 'anchor')
  for (let hop = 0; hop < 12; hop++) {
    const answer = await browser.get(url)
    if (answer.status >= 300 && answer.status < 400) {
      const next = resolve(answer.location, url)
      if (next.startsWith(redirect)) {
        const token = await browser.post(`${issuer}/token`, codeGrant(codeOf(next), redirect), {
          authorization: basic(CLIENT_ID, CLIENT_SECRET),
        })
        expectStatus(token, 200, 'oidc-provider POST /token')
        return
      }
      url = next
      continue
    }
    expectStatus(answer, 200, `oidc-provider GET ${new URL(url).pathname}`)
    const action = /<form[^>]*action="([^"]+)"/.exec(answer.body)?.[1]
    const prompt = hiddenField(answer.body, 'prompt')
    if (action === undefined || prompt === undefined) throw new Error('oidc-provider: a page without its form')
    const fields: Record<string, string> =
      prompt === 'login' ? { prompt, login: USER.username, password: USER.password } : { prompt }
    const posted = await browser.post(resolve(action, url), fields)
    expectStatus(posted, [302, 303], `oidc-provider POST ${prompt}`)
    url = resolve(posted.location, url)
  }
  throw new Error('oidc-provider: the flow did not reach the redirect URI')
}

/** oauth2-mock-server: /authorize answers with a code at once (nobody signs in), then /token. */
export async function mockServerFlow(agent: Agent, issuer: string, redirect: string): Promise<void> {
  const browser = new Browser(agent)
  const answer = await browser.get(authorizeUrl(`${issuer}/authorize`, redirect, 'anchor'), false)
  expectStatus(answer, 302, 'oauth2-mock-server GET /authorize')
  const token = await browser.post(`${issuer}/token`, codeGrant(codeOf(resolve(answer.location, issuer)), redirect), {
    authorization: basic(CLIENT_ID, CLIENT_SECRET),
  })
  expectStatus(token, 200, 'oauth2-mock-server POST /token')
}
