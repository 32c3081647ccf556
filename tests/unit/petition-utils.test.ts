import { describe, expect, it } from 'vitest'
import { countryFromAcceptLanguage, countryName, countryOptions, COUNTRY_CODES } from '~/utils/countries.ts'
import { csvRow } from '~/utils/csv.ts'
import { normalizeEmail } from '~/utils/email.ts'
import { signatureGoal } from '~/utils/goal.ts'

describe('normalizeEmail', () => {
  it('ignores case and surrounding space', () => {
    expect(normalizeEmail('  Maria@Example.ORG ')).toBe('maria@example.org')
  })
  it('drops +tags on any provider and dots on Gmail only', () => {
    expect(normalizeEmail('maria+petition@example.org')).toBe('maria@example.org')
    expect(normalizeEmail('m.a.r.i.a+x@gmail.com')).toBe('maria@gmail.com')
    expect(normalizeEmail('M.Aria@GoogleMail.com')).toBe('maria@gmail.com')
    expect(normalizeEmail('m.aria@example.org')).toBe('m.aria@example.org')
  })
})

describe('signatureGoal', () => {
  it('uses the organiser’s goal when set', () => {
    expect(signatureGoal(5000, 2500)).toBe(2500)
  })
  it('otherwise rises in steps of 1, 2, 5 times a power of ten as the count passes each', () => {
    expect([0, 99, 100, 199, 200, 499, 500, 999, 1000, 4999, 5000, 10_000, 123_456].map((n) => signatureGoal(n, null))).toEqual([
      100, 100, 200, 200, 500, 500, 1000, 1000, 2000, 5000, 10_000, 20_000, 200_000,
    ])
  })
})

describe('countries', () => {
  it('has every ISO 3166-1 code once, named in the reader’s language', () => {
    expect(new Set(COUNTRY_CODES).size).toBe(249)
    expect(countryName('DE', 'de')).toBe('Deutschland')
    expect(countryName('DE', 'es')).toBe('Alemania')
    expect(countryOptions('de')[0]!.name.localeCompare('Ägypten', 'de')).toBeLessThanOrEqual(0)
  })
  it('guesses the country from the first Accept-Language entry that names a region', () => {
    expect(countryFromAcceptLanguage('de-AT,de;q=0.9')).toBe('AT')
    expect(countryFromAcceptLanguage('es,es-MX;q=0.8')).toBe('MX')
    expect(countryFromAcceptLanguage('en')).toBeUndefined()
  })
})

describe('csvRow', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvRow(['a,b', 'say "hi"', 'line\nbreak', 3])).toBe('"a,b","say ""hi""","line\nbreak",3\r\n')
  })
  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvRow(['=1+1', '+SUM(A1)', '-2', '@cmd', 'fine'])).toBe(`'=1+1,'+SUM(A1),'-2,'@cmd,fine\r\n`)
  })
})
