import { describe, expect, it } from 'vitest'
import { withoutAddresses } from '~/workflows/mail-sender.server.ts'

// The outbox keeps a provider's error as it was said, but never the address it may quote (ADR 017).
describe('withoutAddresses', () => {
  it('removes each address, whatever its case, and leaves the rest of the reason', () => {
    expect(withoutAddresses('422 validation_error: Invalid `to` field: Ana.Perez+x@Example.org is not allowed (ana.perez+x@example.org)', ['ana.perez+x@example.org'])).toBe(
      '422 validation_error: Invalid `to` field: [address] is not allowed ([address])',
    )
  })

  it('treats an address as text, not as a pattern', () => {
    expect(withoutAddresses('refused: a.b@c.d and axb@cxd', ['a.b@c.d'])).toBe('refused: [address] and axb@cxd')
    expect(withoutAddresses('nothing to hide', ['', 'x(y@z.org'])).toBe('nothing to hide')
  })
})
