import { describe, expect, it } from 'vitest'
import { pickTranslation } from '~/utils/translations.ts'

const rows = [
  { locale: 'es', title: 'Libertad' },
  { locale: 'en', title: '' },
  { locale: 'de', title: 'Freiheit' },
]
const usable = (r: { title: string }) => r.title !== ''

describe('pickTranslation', () => {
  it('takes the reader’s language first', () => {
    expect(pickTranslation(rows, 'de', 'es', usable)?.title).toBe('Freiheit')
  })
  it('falls back to the campaign’s default language, then to any, skipping empty ones', () => {
    expect(pickTranslation(rows, 'en', 'de', usable)?.title).toBe('Freiheit')
    expect(pickTranslation(rows, 'en', 'fr', usable)?.title).toBe('Libertad')
    expect(pickTranslation(rows, 'en', 'de')?.locale).toBe('en')
  })
  it('gives nothing when nothing is usable', () => {
    expect(pickTranslation([], 'en', 'de')).toBeUndefined()
    expect(pickTranslation([{ locale: 'en', title: '' }], 'en', 'en', usable)).toBeUndefined()
  })
})
