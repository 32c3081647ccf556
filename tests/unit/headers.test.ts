import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy } from '../../server/headers.ts'

describe('contentSecurityPolicy', () => {
  it('allows scripts only from our origin and with the nonce, and nothing from other origins', () => {
    const csp = contentSecurityPolicy('abc')
    expect(csp).toContain(`script-src 'self' 'nonce-abc'`)
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toMatch(/https?:/)
    expect(csp).toContain(`frame-ancestors 'none'`)
  })
})
