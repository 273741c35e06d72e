// Which exchanges the inspector folds to one line by default.

import { describe, expect, it } from 'vitest'
import { correlate } from '../../../src/client/flow/correlate.js'
import { foldReason } from '../../../src/client/flow/fold.js'
import type { FlowEntry, RecordedExchange } from '../../../src/client/flow/types.js'
import type { HeaderList } from '../../../src/shared/flow-recorder.js'
import { browserFlow, exchange, jwksFetch } from './fixtures.js'
import { first } from '../../helpers/lists.js'

/** Each entry as "step part METHOD url: reason" ("shown" when not folded). */
function folds(entries: readonly FlowEntry[]): string[] {
  return entries.map((entry, i) => {
    const { method, url } = entry.exchange.request
    return `${entry.step} ${entry.part} ${method} ${url.split('?')[0]}: ${foldReason(entry, entries.slice(0, i)) ?? 'shown'}`
  })
}

describe('foldReason', () => {
  it('folds the lab’s pages, the redirects followed, the repeated request and the key fetch; shows every OAuth message', () => {
    const list = browserFlow({ state: 'S1', code: 'K1', token: 'T1', t0: 1000 })
    const flow = first(correlate([...list, jwksFetch(list.at(-1)!.startedAt + 2)]), 'flow')
    expect(folds(flow.entries)).toEqual([
      '1 both GET /connect: shown',
      '1 request GET /authorize: the redirect above, followed',
      '2 response GET /authorize: a page of the lab',
      '2 both POST /login: shown',
      '2 request GET /authorize: the same request as before',
      '3 response GET /authorize: a page of the lab',
      '3 request POST /consent: shown',
      '4 response POST /consent: shown',
      '4 request GET /authenticated: the redirect above, followed',
      '5 request POST /token: shown',
      '6 response POST /token: shown',
      '6 response GET /authenticated: a page of the lab',
      '7 both POST /fetch-resource: a page of the client app',
      '7 both GET /resource: shown',
      '7 both GET /jwks: the key fetch',
    ])
  })

  it('never folds what was refused: an error brought back to the client, or an error page', () => {
    const entry = (e: RecordedExchange, part: FlowEntry['part']): FlowEntry => ({
      exchange: e,
      step: 4,
      part,
      label: '',
      from: 'browser',
      to: 'client',
      at: e.startedAt,
    })
    const back = '/authenticated?error=access_denied&state=S'
    const denied = entry(
      exchange(
        'auth-server',
        1000,
        { method: 'POST', url: '/consent' },
        { status: 303, headers: [['location', back]] },
      ),
      'response',
    )
    const html: HeaderList = [['content-type', 'text/html; charset=utf-8']]
    const callback = entry(exchange('client', 1010, { url: back }, { status: 400, headers: html }), 'request')
    const errorPage = entry(exchange('client', 1010, { url: back }, { status: 400, headers: html }), 'response')
    expect(foldReason(callback, [denied])).toBeUndefined()
    expect(foldReason(errorPage, [denied, callback])).toBeUndefined()
    // The same callback with a code instead is the redirect followed, and its 200 page a page of the lab.
    const code = '/authenticated?code=K&state=S'
    const granted = {
      ...denied,
      exchange: { ...denied.exchange, response: { status: 303, headers: [['location', code]] as HeaderList } },
    }
    const ok = entry(exchange('client', 1010, { url: code }, { status: 200, headers: html }), 'request')
    expect(foldReason(ok, [granted])).toBe('the redirect above, followed')
    expect(foldReason({ ...ok, part: 'response' }, [granted, ok])).toBe('a page of the lab')
  })
})
