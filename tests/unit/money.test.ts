import type { TFunction } from 'i18next'
import { describe, expect, it } from 'vitest'
import { getT } from '~/utils/i18n.server.ts'
import { formatMoney } from '~/utils/i18n.ts'
import { currencyDigits, toDecimalString, toMajorString, toMinorUnits } from '~/utils/money.ts'
import { fundCurrencies, fundSchema } from '~/utils/schemas.ts'

describe('amounts typed in major units', () => {
  it('become minor units in the currency’s own scale, without floating-point drift', () => {
    expect(toMinorUnits('4500', 'EUR')).toBe(450000)
    expect(toMinorUnits('4500.50', 'EUR')).toBe(450050)
    expect(toMinorUnits('4500,5', 'EUR')).toBe(450050)
    expect(toMinorUnits('0.29', 'EUR')).toBe(29)
    expect(toMinorUnits('1.13', 'USD')).toBe(113)
    expect(toMinorUnits('4500', 'JPY')).toBe(4500)
  })

  it('are refused when ambiguous or finer than the currency', () => {
    for (const text of ['4,500', '4.500,00', '1e3', '-5', '', '12.', '.5', '4 500']) expect(toMinorUnits(text, 'EUR'), text).toBeNull()
    expect(toMinorUnits('10.5', 'JPY')).toBeNull()
  })

  it('round-trip through the form’s text and the export’s decimals', () => {
    expect(currencyDigits('eur')).toBe(2)
    for (const minor of [0, 1, 50, 450000, 450050, 123456789]) expect(toMinorUnits(toMajorString(minor, 'EUR'), 'EUR')).toBe(minor)
    expect(toMajorString(450000, 'EUR')).toBe('4500')
    expect(toMajorString(450005, 'EUR')).toBe('4500.05')
    expect(toDecimalString(2500, 'EUR')).toBe('25.00')
    expect(toDecimalString(7, 'EUR')).toBe('0.07')
    expect(toDecimalString(4500, 'JPY')).toBe('4500')
    expect(formatMoney(450050, 'EUR', 'en')).toBe('€4,500.50')
  })
})

describe('the fund schema', () => {
  const input = { slug: 'trip', goal: '4500.50', currency: 'EUR', status: 'open', texts: { de: { title: 'Reise' } } }

  it('turns the goal into minor units and fills in every language', () => {
    const t = getT('en') as TFunction
    const result = fundSchema(t, { currencies: fundCurrencies('EUR'), defaultLocale: 'en' }).parse(input)
    expect(result).toEqual({
      slug: 'trip',
      goalMinor: 450050,
      currency: 'EUR',
      status: 'open',
      position: 0,
      texts: { en: { title: '', description: '' }, de: { title: 'Reise', description: '' }, es: { title: '', description: '' } },
    })
  })

  it('asks for a title on the campaign’s main language, in the organiser’s language', () => {
    const t = getT('es') as TFunction
    const result = fundSchema(t, { currencies: fundCurrencies('EUR'), defaultLocale: 'de' }).safeParse({ ...input, texts: {} })
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['texts', 'de', 'title'], message: t('admin.funds.titleRequired') })])
    expect(t('admin.funds.titleRequired')).not.toBe('admin.funds.titleRequired')
  })

  it('offers the campaign’s and the fund’s own currency beside the common ones', () => {
    expect(fundCurrencies('EUR', 'jpy')).toContain('JPY')
    expect(fundCurrencies(null, 'not a code')).not.toContain('NOT A CODE')
  })
})
