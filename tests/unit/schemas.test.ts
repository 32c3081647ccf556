import type { TFunction } from 'i18next'
import { describe, expect, it } from 'vitest'
import { campaignSettingsSchema, fundSchema, isCalendarDate, signSchema, textLimits, timelineEntrySchema } from '~/utils/schemas.ts'
import { getT } from '~/utils/i18n.server.ts'

describe('isCalendarDate', () => {
  it('accepts real dates and refuses impossible ones', () => {
    expect(isCalendarDate('2025-07-18')).toBe(true)
    expect(isCalendarDate('2024-02-29')).toBe(true)
    expect(isCalendarDate('2025-02-29')).toBe(false)
    expect(isCalendarDate('2025-13-01')).toBe(false)
    expect(isCalendarDate('18.07.2025')).toBe(false)
  })
})

describe('schemas speak the organiser’s language', () => {
  it('explains a bad slug in German', () => {
    const t = getT('de') as TFunction
    const result = campaignSettingsSchema(t).safeParse({ slug: 'Nicht gültig!', status: 'live', defaultLocale: 'en', currency: 'EUR' })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toBe(t('forms.slug'))
    expect(result.error?.issues[0]?.message).not.toBe('forms.slug')
  })

  it('refuses an impossible timeline date with a Spanish message', () => {
    const t = getT('es') as TFunction
    const result = timelineEntrySchema(t).safeParse({ happenedOn: '2025-02-30', locale: 'es', title: 'x' })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toBe(t('forms.date'))
  })
})

describe('textLimits', () => {
  const t = getT('en') as TFunction

  it('reads each text field’s maxlength from the schema, through refinements, pipes and optional fields', () => {
    expect(textLimits(signSchema(t, ['DE']))).toEqual({
      firstName: { maxLength: 80 },
      lastName: { maxLength: 80 },
      email: { maxLength: 254 },
      postalCode: { maxLength: 16 },
      message: { maxLength: 500 },
    })
  })

  it('names nested fields as Conform does, and gives no limit to fields that are not text', () => {
    const limits = textLimits(fundSchema(t, { currencies: ['EUR'], defaultLocale: 'en' }))
    expect(limits['texts.de.title']).toEqual({ maxLength: 120 })
    expect(limits['texts.es.description']).toEqual({ maxLength: 2000 })
    expect(limits.position).toBeUndefined()
    expect(limits.currency).toBeUndefined()
  })

  it('agrees with the schema: the longest value it allows passes, one more character fails', () => {
    const schema = signSchema(t, ['DE'])
    const person = { firstName: 'A', lastName: 'B', email: 'a@example.org', country: 'DE' }
    const max = textLimits(schema).lastName!.maxLength
    expect(schema.safeParse({ ...person, lastName: 'x'.repeat(max) }).success).toBe(true)
    expect(schema.safeParse({ ...person, lastName: 'x'.repeat(max + 1) }).success).toBe(false)
  })

  it('counts a CRLF line break in a message as one character, as the browser’s maxlength does', () => {
    const schema = signSchema(t, ['DE'])
    const person = { firstName: 'A', lastName: 'B', email: 'a@example.org', country: 'DE' }
    const message = `${'a'.repeat(249)}\r\n${'b'.repeat(250)}`
    const parsed = schema.safeParse({ ...person, message })
    expect(parsed.success && parsed.data.message).toBe(`${'a'.repeat(249)}\n${'b'.repeat(250)}`)
  })
})
