import { describe, expect, it } from 'vitest'
import { resources } from '~/i18n-resources.ts'
import { LANGUAGES } from '~/utils/i18n.ts'
import {
  addressForLimits,
  bodyLimit,
  bodyPolicy,
  checkMultipart,
  checkUrlEncoded,
  clientAddress,
  guardText,
  isWriteAllowed,
  loggablePath,
  normaliseTarget,
  type GuardProblem,
} from '../../server/guard.ts'

describe('normaliseTarget', () => {
  it('resolves dot segments, encoded dots, backslashes and repeated slashes to the path Remix will match', () => {
    for (const raw of ['/./admin/organizers', '/%2e/admin/organizers', '/%2E/ADMIN/organizers', '/x/../admin/organizers', '//admin//organizers', '/x/%2e%2e/admin/organizers', '/\\admin/organizers']) {
      expect(normaliseTarget(raw)?.route, raw).toBe('/admin/organizers')
    }
    expect(normaliseTarget('/%61dmin/x?y=1')).toMatchObject({ path: '/%61dmin/x', search: '?y=1', route: '/admin/x', malformed: false })
  })

  it('keeps a malformed escape as it came instead of throwing, and says it is malformed', () => {
    expect(normaliseTarget('/c/%E0x')).toMatchObject({ route: '/c/%e0x', malformed: true })
    expect(normaliseTarget('/confirm/abc/%C0%AE%C0%AE')?.malformed).toBe(true)
    expect(normaliseTarget('/c/caf%C3%A9')).toMatchObject({ route: '/c/café', malformed: false })
  })

  it('says a path is malformed when, decoded, it starts like another host (React Router once answered /%5C%5C%3B%25 with a 500)', () => {
    for (const raw of ['/%5C%5C%3B%25', '/%5C%5Cevil.example', '/%2F%2Fevil.example', '/%5C/x']) expect(normaliseTarget(raw)?.malformed, raw).toBe(true)
    expect(normaliseTarget('/c/%5C%5Cx')?.malformed).toBe(false)
  })

  it('refuses targets that are not paths', () => {
    expect(normaliseTarget('*')).toBeNull()
    expect(normaliseTarget('http://evil.example/admin')).toBeNull()
    expect(normaliseTarget('//evil.example/admin')?.route).toBe('/evil.example/admin')
  })
})

describe('a NUL character', () => {
  it('makes a path malformed (Postgres refuses it in any text; no page or slug of ours holds one)', () => {
    for (const raw of ['/c/%00', '/c/free-andry%00', '/thanks/x%00y', '/embed/c/%00/count.json']) expect(normaliseTarget(raw)?.malformed, raw).toBe(true)
    // A search is the page's to judge (a login's redirectTo with a NUL leads to /admin).
    expect(normaliseTarget('/admin/login?redirectTo=%00')?.malformed).toBe(false)
  })
})

describe('bodyPolicy', () => {
  it('gives webhooks JSON, image routes uploads, organiser pages long forms and public pages short ones', () => {
    const limit = (route: string, type: string) => bodyLimit(bodyPolicy(route), type)
    expect(limit('/webhooks/stripe', 'application/json')).toBe(2 * 1024 * 1024)
    expect(limit('/webhooks/stripe', 'application/x-www-form-urlencoded')).toBeUndefined()
    expect(limit('/admin/campaigns/3/image', 'multipart/form-data')).toBe(12 * 1024 * 1024)
    expect(limit('/admin/campaigns/3/timeline/9.data', 'multipart/form-data')).toBe(12 * 1024 * 1024)
    expect(limit('/admin/campaigns/3/image', 'application/x-www-form-urlencoded')).toBe(1024 * 1024)
    expect(limit('/admin/campaigns/3/text/de', 'multipart/form-data')).toBeUndefined()
    expect(limit('/c/free-andry.data', 'application/x-www-form-urlencoded')).toBe(64 * 1024)
    expect(limit('/administrator', 'application/x-www-form-urlencoded')).toBe(64 * 1024)
    expect(limit('/c/x', 'constructor')).toBeUndefined()
    // A trailing slash reaches the same route in Remix: a webhook URL configured with one still takes JSON.
    expect(limit('/webhooks/stripe/', 'application/json')).toBe(2 * 1024 * 1024)
    expect(limit('/admin/campaigns/3/image/', 'multipart/form-data')).toBe(12 * 1024 * 1024)
  })

  it('takes the target’s answer with its letter (a 10 MiB PDF) on the answers page only, not on its neighbours', () => {
    const limit = (route: string, type: string) => bodyLimit(bodyPolicy(route), type)
    expect(limit('/admin/campaigns/3/responses', 'multipart/form-data')).toBe(12 * 1024 * 1024)
    expect(limit('/admin/campaigns/3/responses.data', 'multipart/form-data')).toBe(12 * 1024 * 1024)
    expect(limit('/admin/campaigns/3/responses', 'application/x-www-form-urlencoded')).toBe(1024 * 1024)
    expect(limit('/admin/campaigns/3/deliveries', 'multipart/form-data')).toBeUndefined()
    expect(limit('/admin/campaigns/3/responses/9', 'multipart/form-data')).toBeUndefined()
    expect(limit('/admin/campaigns/3/milestones', 'multipart/form-data')).toBeUndefined()
  })
})

describe('checkUrlEncoded', () => {
  const policy = bodyPolicy('/c/x')
  it('refuses too many fields and too many fields of one name, also when names are encoded', () => {
    expect(checkUrlEncoded(Buffer.from('a=&'.repeat(60_000)), policy)).toMatchObject({ ok: false, status: 413 })
    expect(checkUrlEncoded(Buffer.from('a=1&%61=2&'.repeat(60)), policy)).toMatchObject({ ok: false, problem: 'tooManyFields' })
    expect(checkUrlEncoded(Buffer.from('firstName=A&email=a%40b.org&country=DE&_js=1'), policy)).toEqual({ ok: true })
  })

  it('refuses list indexes no form of ours has (Conform makes x[99999999] a sparse array that long)', () => {
    expect(checkUrlEncoded(Buffer.from('x[100000000]=1'), policy)).toMatchObject({ ok: false, status: 413 })
    expect(checkUrlEncoded(Buffer.from('a.b%5B0000000099%5D=1'), policy)).toMatchObject({ ok: false, status: 413 })
    expect(checkUrlEncoded(Buffer.from('items[3]=a&items[4]=b'), policy)).toEqual({ ok: true })
  })

  it('counts 60,000 fields in well under the time Conform needed (15 s)', () => {
    const body = Buffer.from('a=&'.repeat(60_000))
    const started = performance.now()
    checkUrlEncoded(body, bodyPolicy('/admin/x'))
    expect(performance.now() - started).toBeLessThan(200)
  })
})

describe('checkMultipart', () => {
  const policy = bodyPolicy('/admin/campaigns/1/image')
  it('reads a well-formed body and refuses a broken or boundary-less one with 400', async () => {
    const good = '--b\r\nContent-Disposition: form-data; name="alt"\r\n\r\nA photo\r\n--b--\r\n'
    expect(await checkMultipart(Buffer.from(good), 'multipart/form-data; boundary=b', policy)).toEqual({ ok: true })
    expect(await checkMultipart(Buffer.from('--b\r\nbroken'), 'multipart/form-data; boundary=b', policy)).toEqual({ ok: false, status: 400, problem: 'badForm' })
    expect(await checkMultipart(Buffer.from(good), 'multipart/form-data', policy)).toEqual({ ok: false, status: 400, problem: 'badForm' })
    // Quoted or followed by more: parsers disagree about where such a boundary ends.
    expect(await checkMultipart(Buffer.from(good), 'multipart/form-data; boundary="b"', policy)).toMatchObject({ ok: false, status: 400 })
    expect(await checkMultipart(Buffer.from(good), 'multipart/form-data; boundary=b; charset=utf-8', policy)).toMatchObject({ ok: false, status: 400 })
  })
})

describe('isWriteAllowed', () => {
  const allowedOrigins = ['https://campaigns.example.org']
  const check = (route: string, origin?: string, secFetchSite?: string) => isWriteAllowed({ route, origin, secFetchSite, allowedOrigins })
  it('accepts our origin and refuses any other, unparseable ones included', () => {
    expect(check('/c/x', 'https://campaigns.example.org')).toBe(true)
    expect(check('/c/x', 'https://evil.example')).toBe(false)
    expect(check('/admin/login', 'http://[::1')).toBe(false)
  })
  it('accepts Origin: null only where the form carries its own token', () => {
    expect(check('/unsubscribe/12.3.abc', 'null')).toBe(true)
    expect(check('/unsubscribe/12.3.abc/', 'null')).toBe(true)
    expect(check('/preferences/12.abc.data', 'null')).toBe(true)
    expect(check('/donations/manage/7.abc', 'null')).toBe(true)
    expect(check('/c/x', 'null')).toBe(false)
    expect(check('/admin/organizers', 'null')).toBe(false)
  })
  it('lets organiser writes without an Origin through only with Sec-Fetch-Site: same-origin, and webhooks always', () => {
    expect(check('/admin/organizers')).toBe(false)
    expect(check('/admin/organizers', undefined, 'same-origin')).toBe(true)
    expect(check('/admin/organizers', undefined, 'cross-site')).toBe(false)
    expect(check('/unsubscribe/12.3.abc')).toBe(true)
    expect(check('/webhooks/stripe', 'https://evil.example')).toBe(true)
  })
})

describe('clientAddress', () => {
  it('takes the address the given number of proxies away from the right, never one the client wrote', () => {
    expect(clientAddress('1.1.1.1, 203.0.113.9', '10.0.0.2', 1)).toBe('203.0.113.9')
    expect(clientAddress('spoofed, 203.0.113.9, 10.0.0.3', '10.0.0.2', 2)).toBe('203.0.113.9')
    expect(clientAddress(['a, b', '203.0.113.9'], '10.0.0.2', 1)).toBe('203.0.113.9')
    expect(clientAddress('203.0.113.9', '10.0.0.2', 5)).toBe('203.0.113.9')
    expect(clientAddress('203.0.113.9', '10.0.0.2', 0)).toBe('10.0.0.2')
    expect(clientAddress(undefined, '10.0.0.2', 1)).toBe('10.0.0.2')
  })
})

describe('addressForLimits', () => {
  it('counts IPv6 clients by their /64 and IPv4-mapped ones by their IPv4 address', () => {
    expect(addressForLimits('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
    expect(addressForLimits('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64')
    expect(addressForLimits('::1')).toBe('0:0:0:0::/64')
    expect(addressForLimits('::ffff:203.0.113.9')).toBe('203.0.113.9')
    expect(addressForLimits('203.0.113.9')).toBe('203.0.113.9')
    expect(addressForLimits('unknown')).toBe('unknown')
  })
})

describe('loggablePath', () => {
  const mac = 'q3Jx0vV9pZ8bS2nR4tW6yA1cE5gI7kM9oQ0sU2wY4aC'
  it('masks the token of every private-link route, whatever its shape', () => {
    expect(loggablePath('/admin/set-password/Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4')).toBe('/admin/set-password/:token')
    expect(loggablePath(`/unsubscribe/12.3.${mac}`)).toBe('/unsubscribe/:token')
    expect(loggablePath(`/preferences/12.${mac}.data`)).toBe('/preferences/:token.data')
    expect(loggablePath('/donations/manage/7.x')).toBe('/donations/manage/:token')
    expect(loggablePath('/confirm/short')).toBe('/confirm/:token')
    expect(loggablePath('/confirm/short/')).toBe('/confirm/:token')
    expect(loggablePath('/CONFIRM/%5Aq9sEcRet')).toBe('/confirm/:token')
  })
  it('masks addresses, long and encoded segments elsewhere, escapes control characters, keeps file names', () => {
    expect(loggablePath('/c/bob%40example.org')).toBe('/c/:email')
    expect(loggablePath('/c/free-andry')).toBe('/c/free-andry')
    expect(loggablePath('/c/free-andry/count.json')).toBe('/c/free-andry/count.json')
    expect(loggablePath('/assets/entry.client-Cq2bXk9zLmNoPqRsTuVw.js')).toBe('/assets/entry.client-Cq2bXk9zLmNoPqRsTuVw.js')
    expect(loggablePath('/media/%E0secret%ZZ')).toBe('/media/:segment')
    expect(loggablePath('/x\u0001y')).toBe('/x\\u0001y')
    expect(loggablePath('/admin/campaigns/1/funds/q3Jx0vV9pZ8bS2nR4tW6yA1cE5gI7kM9oQ0sU2wY4aC.data')).toBe('/admin/campaigns/1/funds/:token.data')
    expect(loggablePath('/admin/campaigns/1/funds/ééééééééééééééééééééééé')).toBe('/admin/campaigns/1/funds/:token')
    expect(loggablePath('/admin/campaigns/1/export.csv')).toBe('/admin/campaigns/1/export.csv')
  })
})

describe('guardText', () => {
  it('has every refusal in every language', () => {
    const problems: GuardProblem[] = ['tooLarge', 'tooManyFields', 'badForm', 'unsupportedType', 'crossSite', 'method', 'badRequest']
    for (const lang of LANGUAGES) {
      for (const problem of problems) {
        const text = guardText(resources, lang, problem)
        expect(text.title.length, `${lang} ${problem}`).toBeGreaterThan(5)
        expect(text.body.length, `${lang} ${problem}`).toBeGreaterThan(20)
      }
    }
  })
})
