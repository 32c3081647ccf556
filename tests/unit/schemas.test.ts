import type { TFunction } from 'i18next'
import { describe, expect, it } from 'vitest'
import { campaignSettingsSchema, isCalendarDate, timelineEntrySchema } from '~/utils/schemas.ts'
import { getT } from '~/services/i18n.server.ts'

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
