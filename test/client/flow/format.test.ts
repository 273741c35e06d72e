import { describe, expect, it } from 'vitest'
import { Eta } from 'eta'
import {
  highlight,
  rawRequest,
  rawResponse,
  requestMessage,
  responseMessage,
  isFoldedBody,
} from '../../../src/client/flow/format.js'
import { VIEWS_DIR } from '../../../src/shared/html.js'
import { BASIC, exchange } from './fixtures.js'

const tokenRequest = exchange(
  'auth-server',
  0,
  {
    method: 'POST',
    url: '/token',
    headers: [
      ['Host', 'localhost:9001'],
      ['Accept', 'application/json'],
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['Authorization', BASIC],
    ],
    body: 'grant_type=authorization_code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated&code=8V1pr0rJ',
  },
  { status: 302, headers: [['location', 'http://localhost:3000/authenticated?code=8V1pr0rJ&state=Lwt50&iss=x']] },
)

describe('raw HTTP, laid out like the book', () => {
  it('writes the request line, the headers in wire order, a blank line and the body', () => {
    expect(rawRequest(tokenRequest)).toBe(
      [
        'POST /token HTTP/1.1',
        'Host: localhost:9001',
        'Accept: application/json',
        'Content-Type: application/x-www-form-urlencoded',
        `Authorization: ${BASIC}`,
        '',
        'grant_type=authorization_code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated&code=8V1pr0rJ',
      ].join('\n'),
    )
  })

  it('writes the status line with its reason phrase, and no blank line without a body', () => {
    expect(rawResponse(tokenRequest)).toBe(
      'HTTP/1.1 302 Found\nlocation: http://localhost:3000/authenticated?code=8V1pr0rJ&state=Lwt50&iss=x',
    )
    expect(responseMessage(tokenRequest).body).toBeUndefined()
  })

  it('folds HTML bodies and long ones, not forms', () => {
    const page = exchange(
      'auth-server',
      0,
      { url: '/authorize' },
      { headers: [['content-type', 'text/html']], body: '<form></form>' },
    )
    expect(isFoldedBody(responseMessage(page))).toBe(true)
    expect(isFoldedBody(requestMessage(tokenRequest))).toBe(false)
  })
})

describe('highlight', () => {
  it('marks the security parameters and gives the text back unchanged when joined', () => {
    const text = `${rawRequest(tokenRequest)}\n${rawResponse(tokenRequest)}`
    const segments = highlight(text)
    expect(segments.map((s) => s.text).join('')).toBe(text)
    expect(segments.filter((s) => s.mark).map((s) => [s.mark, s.text])).toEqual([
      ['basic', BASIC],
      ['redirect_uri', 'redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated'],
      ['code', 'code=8V1pr0rJ'],
      ['code', 'code=8V1pr0rJ'],
      ['state', 'state=Lwt50'],
      ['iss', 'iss=x'],
    ])
  })

  it('marks PKCE, bearer tokens and JSON tokens, but not values that merely look like names', () => {
    const text = [
      'GET /authorize?response_type=code&code_challenge=abc&code_challenge_method=S256 HTTP/1.1',
      'Authorization: Bearer eyJ.x.y',
      '',
      '{"access_token":"eyJ.x.y","token_type":"Bearer","refresh_token":"r1"}',
      'grant_type=authorization_code&code_verifier=v1&token_type_hint=access_token',
    ].join('\n')
    expect(
      highlight(text)
        .filter((s) => s.mark)
        .map((s) => [s.mark, s.text]),
    ).toEqual([
      ['code_challenge', 'code_challenge=abc'],
      ['bearer', 'Bearer eyJ.x.y'],
      ['access_token', '"access_token":"eyJ.x.y"'],
      ['refresh_token', '"refresh_token":"r1"'],
      ['code_verifier', 'code_verifier=v1'],
    ])
  })
})

describe('the template', () => {
  it('escapes every segment and wraps only the highlighted ones in <mark>', () => {
    const eta = new Eta({ views: VIEWS_DIR, autoEscape: true })
    const html = eta.render('/client/flow-segments', { segments: highlight('x=<script>alert(1)</script>&state=<b>') })
    expect(html).toBe(
      'x=&lt;script&gt;alert(1)&lt;/script&gt;&amp;<mark class="hl-state" title="state">state=</mark>&lt;b&gt;',
    )
  })
})
