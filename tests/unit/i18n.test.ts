import { describe, expect, it } from 'vitest'
import { formatDate, languageName, negotiateLanguage, readCookie } from '~/utils/i18n.ts'

describe('negotiateLanguage', () => {
  it('prefers the language in the URL over the cookie and the browser', () => {
    expect(negotiateLanguage({ param: 'es', cookieHeader: 'vigil_lang=de', acceptLanguage: 'en' })).toEqual({ language: 'es', fromParam: true })
  })

  it('uses the cookie when the URL names no language', () => {
    expect(negotiateLanguage({ cookieHeader: 'a=1; vigil_lang=de', acceptLanguage: 'es' }).language).toBe('de')
  })

  it('falls back to Accept-Language, honouring quality values and regional variants', () => {
    expect(negotiateLanguage({ acceptLanguage: 'fr-FR,fr;q=0.9,de-AT;q=0.8,en;q=0.5' }).language).toBe('de')
    expect(negotiateLanguage({ acceptLanguage: 'es-MX' }).language).toBe('es')
  })

  it('ignores unsupported values and ends at English', () => {
    expect(negotiateLanguage({ param: 'fr', cookieHeader: 'vigil_lang=xx', acceptLanguage: 'ja' })).toEqual({ language: 'en', fromParam: false })
  })
})

describe('readCookie', () => {
  it('finds one cookie among many and decodes it', () => {
    expect(readCookie('x=1; name=a%20b; y=2', 'name')).toBe('a b')
    expect(readCookie('xname=1', 'name')).toBeUndefined()
  })

  it('reads a malformed escape as no value instead of throwing (it took the server down)', () => {
    expect(readCookie('vigil_session=%E0', 'vigil_session')).toBeUndefined()
    expect(readCookie('vigil_lang=%; vigil_session=ok', 'vigil_session')).toBe('ok')
    expect(negotiateLanguage({ cookieHeader: 'vigil_lang=%E0', acceptLanguage: 'de' }).language).toBe('de')
  })
})

describe('formatting', () => {
  it('formats calendar dates in the visitor’s language without shifting the day', () => {
    expect(formatDate('2025-07-18', 'de')).toBe('18. Juli 2025')
    expect(formatDate('2025-07-18', 'es')).toBe('18 de julio de 2025')
    expect(formatDate('2025-07-18', 'en')).toBe('July 18, 2025')
  })

  it('names languages in the reader’s language', () => {
    expect(languageName('en', 'de')).toBe('Englisch')
    expect(languageName('en', 'es')).toBe('inglés')
  })
})
