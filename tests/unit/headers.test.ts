import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, isSameOriginRequest, loggablePath } from '../../server/headers.ts'

describe('loggablePath', () => {
  it('masks tokens in paths and leaves ordinary segments', () => {
    expect(loggablePath('/admin/set-password/Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4')).toBe('/admin/set-password/:token')
    expect(loggablePath('/c/free-andry')).toBe('/c/free-andry')
  })

  it('masks signed tokens with ids in front, and keeps file names', () => {
    const mac = 'q3Jx0vV9pZ8bS2nR4tW6yA1cE5gI7kM9oQ0sU2wY4aC'
    expect(loggablePath(`/unsubscribe/12.3.${mac}`)).toBe('/unsubscribe/:token')
    expect(loggablePath(`/preferences/12.${mac}`)).toBe('/preferences/:token')
    expect(loggablePath(`/donations/manage/7.${mac}`)).toBe('/donations/manage/:token')
    expect(loggablePath('/assets/entry.client-Cq2bXk9zLmNoPqRsTuVw.js')).toBe('/assets/entry.client-Cq2bXk9zLmNoPqRsTuVw.js')
    expect(loggablePath('/c/free-andry/count.json')).toBe('/c/free-andry/count.json')
  })
})

describe('isSameOriginRequest', () => {
  const allowed = ['http://localhost:3000']
  it('accepts our own Origin and refuses others', () => {
    expect(isSameOriginRequest({ origin: 'http://localhost:3000' }, allowed)).toBe(true)
    expect(isSameOriginRequest({ origin: 'https://evil.example' }, allowed)).toBe(false)
  })
  it('falls back to Sec-Fetch-Site and refuses requests that carry neither', () => {
    expect(isSameOriginRequest({ 'sec-fetch-site': 'same-origin' }, allowed)).toBe(true)
    expect(isSameOriginRequest({ 'sec-fetch-site': 'cross-site' }, allowed)).toBe(false)
    expect(isSameOriginRequest({}, allowed)).toBe(false)
    expect(isSameOriginRequest({ origin: 'null' }, allowed)).toBe(false)
  })
})

describe('contentSecurityPolicy', () => {
  it('allows scripts only from our origin and with the nonce, and nothing from other origins', () => {
    const csp = contentSecurityPolicy('abc')
    expect(csp).toContain(`script-src 'self' 'nonce-abc'`)
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toMatch(/https?:/)
    expect(csp).toContain(`frame-ancestors 'none'`)
  })
})
