import { describe, expect, it } from 'vitest'
import { createCookieJar, parseSetCookie } from '../../src/shared/cookie-jar.js'

const AS = new URL('http://localhost:9001/login')
const CLIENT = new URL('http://localhost:3000/')
const OTHER = new URL('http://127.0.0.1:9001/')

describe('parseSetCookie', () => {
  const now = Date.parse('2030-01-01T00:00:00Z')

  it('reads the name=value pair before the attributes', () => {
    expect(parseSetCookie('sid=a.b=c; Path=/; HttpOnly; SameSite=Lax', now)).toEqual({
      name: 'sid',
      value: 'a.b=c',
      expired: false,
    })
  })

  it('ignores a line without a name', () => {
    expect(parseSetCookie('novalue', now)).toBeUndefined()
    expect(parseSetCookie('=x; Path=/', now)).toBeUndefined()
  })

  it('sees a Max-Age of zero or less, or a past Expires, as a deletion', () => {
    expect(parseSetCookie('a=1; Max-Age=0', now)?.expired).toBe(true)
    expect(parseSetCookie('a=1; max-age=-5', now)?.expired).toBe(true)
    expect(parseSetCookie('a=1; Max-Age=28800', now)?.expired).toBe(false)
    expect(parseSetCookie('a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now)?.expired).toBe(true)
    expect(parseSetCookie('a=1; Expires=Fri, 01 Jan 2049 00:00:00 GMT', now)?.expired).toBe(false)
  })

  it('lets Max-Age win over Expires (RFC 6265 §5.3)', () => {
    expect(parseSetCookie('a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60', now)?.expired).toBe(false)
    expect(parseSetCookie('a=1; Max-Age=0; Expires=Fri, 01 Jan 2049 00:00:00 GMT', now)?.expired).toBe(true)
  })
})

describe('createCookieJar', () => {
  it('keeps, replaces and expires cookies by name', () => {
    const jar = createCookieJar()
    expect(jar.header(AS)).toBeUndefined()
    jar.store(AS, ['oauth_lab_as_sid=a.b; Path=/; HttpOnly; SameSite=Lax', 'other=1'])
    jar.store(AS, 'oauth_lab_client_sid=c; Max-Age=28800')
    expect(jar.header(AS)).toBe('oauth_lab_as_sid=a.b; other=1; oauth_lab_client_sid=c')
    jar.store(AS, 'oauth_lab_as_sid=d; Path=/')
    jar.store(AS, 'other=; Expires=Thu, 01 Jan 1970 00:00:00 GMT')
    jar.store(AS, 'oauth_lab_client_sid=c; Max-Age=0')
    expect(jar.header(AS)).toBe('oauth_lab_as_sid=d')
    jar.store(AS, undefined)
    expect(jar.header(AS)).toBe('oauth_lab_as_sid=d')
  })

  it('deletes a cookie whose value the server empties', () => {
    const jar = createCookieJar()
    jar.store(AS, 'sid=1')
    jar.store(AS, 'sid=; Path=/')
    expect(jar.header(AS)).toBeUndefined()
  })

  it('shares cookies across the ports of one host, not across hosts (RFC 6265 §8.5)', () => {
    const jar = createCookieJar()
    jar.store(AS, 'oauth_lab_as_sid=x')
    expect(jar.header(CLIENT)).toBe('oauth_lab_as_sid=x')
    expect(jar.header(OTHER)).toBeUndefined()
  })

  it('expires by the clock it is given', () => {
    let now = Date.parse('2030-01-01T00:00:00Z')
    const jar = createCookieJar(() => now)
    jar.store(AS, 'a=1; Expires=Tue, 01 Jan 2030 00:00:10 GMT')
    expect(jar.header(AS)).toBe('a=1')
    now += 20_000
    jar.store(AS, 'a=1; Expires=Tue, 01 Jan 2030 00:00:10 GMT')
    expect(jar.header(AS)).toBeUndefined()
  })

  it('gives a live view of one host’s cookies', () => {
    const jar = createCookieJar()
    const cookies = jar.cookies(AS)
    jar.store(AS, 'a=1')
    expect(cookies.get('a')).toBe('1')
    cookies.set('b', '2')
    expect(jar.header(CLIENT)).toBe('a=1; b=2')
  })
})
