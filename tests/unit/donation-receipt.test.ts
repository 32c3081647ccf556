import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import de from '~/locales/de/emails.json'
import en from '~/locales/en/emails.json'
import es from '~/locales/es/emails.json'
import { renderEmail, type DonationReceiptMessageProps } from '~/workflows/email-templates.server.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { donationFromManageToken } from '~/utils/tokens.server.ts'
import { formatMoney } from '~/utils/i18n.ts'

type Lang = 'en' | 'de' | 'es'

// Intl puts a no-break space between number and symbol in German and Spanish, so the two never wrap apart.
const NBSP = '\u00a0'
const expected: Record<Lang, { amount: string; gift: string; fee: string; paidOn: string }> = {
  en: { amount: '€25.98', gift: '€25.00', fee: '€0.98', paidOn: 'March 4, 2025' },
  de: { amount: `25,98${NBSP}€`, gift: `25,00${NBSP}€`, fee: `0,98${NBSP}€`, paidOn: '4. März 2025' },
  es: { amount: `25,98${NBSP}€`, gift: `25,00${NBSP}€`, fee: `0,98${NBSP}€`, paidOn: '4 de marzo de 2025' },
}
const catalogs = { en, de, es }

const evil = '<script>alert(1)</script>'
const address = 'Reporting Collective e.V.\nMusterstraße 1\r\n\n10115 Berlin'
const addressLines = ['Reporting Collective e.V.', 'Musterstraße 1', '10115 Berlin']

function receipt(overrides: Partial<DonationReceiptMessageProps> = {}): DonationReceiptMessageProps {
  return {
    donationId: 42,
    firstName: 'Ana',
    amountMinor: 2598,
    giftMinor: 2500,
    currency: 'EUR',
    interval: 'one_time',
    // 23:30 UTC: already the next day in Berlin, so a date formatted in local time would show the 5th.
    paidAt: Date.UTC(2025, 2, 4, 23, 30),
    fundTitle: 'Border trip & archive research',
    campaignTitle: 'Justice for Andry',
    campaignSlug: 'free-andry',
    organizationName: 'Demo Reporting Collective',
    organizationAddress: address,
    manageDonationId: null,
    ...overrides,
  }
}

const monthly = (overrides: Partial<DonationReceiptMessageProps> = {}) =>
  receipt({ donationId: 57, interval: 'monthly', manageDonationId: 42, ...overrides })

const render = (locale: Lang, props: DonationReceiptMessageProps) => renderEmail(getDb(), { template: 'donation-receipt', locale, props })

// The XHTML doctype names the W3C DTD by URL; it is an identifier, never fetched.
const urlsIn = (s: string) => s.replace(/^<!DOCTYPE[^>]*>/i, '').match(/https?:\/\/[^\s"'<>]+/gi) ?? []
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

describe('formatMoney', () => {
  it('scales by the currency’s own minor-unit digits', () => {
    expect(formatMoney(2500, 'EUR', 'en')).toBe('€25.00')
    expect(formatMoney(2500, 'EUR', 'de')).toBe(`25,00${NBSP}€`)
    expect(formatMoney(2500, 'JPY', 'en')).toBe('¥2,500')
    expect(formatMoney(1234567, 'USD', 'en')).toBe('$12,345.67')
  })
})

describe('donation receipt catalogs', () => {
  it('have the same keys in every language', () => {
    const keys = (lang: Lang) => Object.keys(catalogs[lang].donationReceipt).sort()
    expect(keys('de')).toEqual(keys('en'))
    expect(keys('es')).toEqual(keys('en'))
  })
})

describe.each(['en', 'de', 'es'] as const)('donation receipt (%s)', (lang) => {
  const want = expected[lang]
  const base = getEnv().publicUrl
  const campaignUrl = `${base}/c/free-andry`

  it('states the amount, date, receipt number, fund and campaign of a one-time gift', async () => {
    const email = await render(lang, receipt({ giftMinor: 2598 }))
    expect(email.subject).toContain(want.amount)
    expect(email.subject).toContain('VIG-000042')
    expect(email.subject).not.toMatch(/[\r\n]/)
    for (const part of [want.amount, want.paidOn, 'VIG-000042', 'Border trip & archive research', 'Justice for Andry', campaignUrl]) {
      expect(email.text).toContain(part)
    }
    expect(email.text).toContain(catalogs[lang].donationReceipt.typeOneTime)
    expect(email.text).not.toContain(catalogs[lang].donationReceipt.typeMonthly)
    // No fee cover: the gift is the amount, so there is nothing to split.
    expect(email.text).not.toContain(catalogs[lang].donationReceipt.feeCover)
    expect(email.text).not.toContain(want.fee)
    expect(email.html).toContain(`href="${campaignUrl}"`)
    expect(email.links).toEqual([campaignUrl])
  })

  it('shows the gift and the fee cover separately when the donor covered the fees', async () => {
    const email = await render(lang, receipt())
    expect(email.subject).toContain(want.amount)
    for (const part of [want.amount, want.gift, want.fee, catalogs[lang].donationReceipt.feeCover]) expect(email.text).toContain(part)
  })

  it('has no manage link for a one-time gift', async () => {
    const email = await render(lang, receipt())
    for (const output of [email.html, email.text]) expect(output).not.toContain('/donations/manage/')
    expect(email.text).not.toContain(catalogs[lang].donationReceipt.manageButton)
  })

  it('says a monthly gift recurs and links to where it is managed, with a token for the first donation', async () => {
    for (const props of [monthly(), monthly({ giftMinor: 2598 })]) {
      const email = await render(lang, props)
      expect(email.subject).toContain(want.amount)
      expect(email.subject).toContain('VIG-000057')
      expect(email.text).toContain('VIG-000057')
      expect(email.text).toContain(catalogs[lang].donationReceipt.typeMonthly)
      expect(email.text).toContain(catalogs[lang].donationReceipt.monthlyCharge.replace('{{amount}}', want.amount))
      expect(email.text).toContain(catalogs[lang].donationReceipt.manageButton)

      const manageUrl = email.links.find((link) => link.startsWith(`${base}/donations/manage/`))
      expect(manageUrl).toBeDefined()
      expect(email.links).toEqual([campaignUrl, manageUrl])
      expect(email.html).toContain(`href="${manageUrl}"`)
      expect(email.text).toContain(manageUrl)
      const token = manageUrl!.slice(`${base}/donations/manage/`.length)
      expect(donationFromManageToken(token)).toBe(42)
    }
  })

  it('prints the gapless receipt number it was given, not the donation id (older rows without one keep the id)', async () => {
    const email = await render(lang, receipt({ receiptNumber: 7 }))
    expect(email.subject).toContain('VIG-000007')
    expect(email.text).toContain('VIG-000007')
    expect(email.text).not.toContain('VIG-000042')
  })

  it('says where the payment details went: a card, a bank debit (never “card details”), or neutrally', async () => {
    const texts = catalogs[lang].donationReceipt
    expect((await render(lang, receipt({ paidBy: 'card' }))).text).toContain(texts.stripe)
    const debit = (await render(lang, receipt({ paidBy: 'debit' }))).text
    expect(debit).toContain(texts.stripeDebit)
    expect(debit).not.toContain(texts.stripe)
    expect((await render(lang, receipt({ paidBy: null }))).text).toContain(texts.stripeAny)
  })

  it('names the donor it was received from when they gave a name for the receipt', async () => {
    expect((await render(lang, receipt({ firstName: 'Ana Ruiz' }))).text).toContain(`${catalogs[lang].donationReceipt.receivedFrom}: Ana Ruiz`)
    expect((await render(lang, receipt({ firstName: null }))).text).not.toContain(catalogs[lang].donationReceipt.receivedFrom)
  })

  it('names the organisation and its postal address as the issuer', async () => {
    const email = await render(lang, receipt())
    const text = email.text
    for (const line of addressLines) {
      expect(text).toContain(line)
      expect(email.html).toContain(line)
    }
    // One line each, in order, with the blank line of the settings dropped.
    expect(email.html).toContain(addressLines.join('<br/>'))
    expect(text).toContain(addressLines.join('\n'))
  })

  it('greets by first name, or neutrally without one', async () => {
    const named = await render(lang, receipt())
    expect(named.text).toContain(catalogs[lang].donationReceipt.greeting.replace('{{firstName}}', 'Ana'))
    for (const firstName of [null, '  ']) {
      const email = await render(lang, receipt({ firstName }))
      expect(email.text).toContain(catalogs[lang].donationReceipt.greetingNoName)
      expect(email.text).not.toContain('Ana')
    }
  })

  it('escapes what donors and organisers typed, exactly once', async () => {
    const email = await render(lang, monthly({ firstName: evil, organizationAddress: `<b>Street</b> & Co\n${evil}` }))
    expect(email.html).not.toContain(evil)
    expect(email.html).not.toContain('<b>Street')
    expect(email.html).toContain(escapeHtml(evil))
    expect(email.html).toContain(escapeHtml('Border trip & archive research'))
    expect(email.html).not.toMatch(/&amp;(lt|gt|amp|quot|#)/)
    expect(email.text).toContain(evil)
    expect(email.text).toContain('Border trip & archive research')
  })

  it('loads nothing and links nowhere but the site itself', async () => {
    for (const props of [receipt(), monthly()]) {
      const email = await render(lang, props)
      expect(email.html).toMatch(new RegExp(`<html[^>]*\\slang="${lang}"`))
      expect(email.html).not.toMatch(/<img|<link|<script|\ssrc=|url\(|@import|@font-face/i)
      const urls = [...urlsIn(email.html), ...urlsIn(email.text)]
      expect(urls.length).toBeGreaterThan(0)
      for (const url of urls) expect(url.startsWith(`${base}/`), `unexpected URL: ${url}`).toBe(true)
      for (const output of [email.html, email.text, email.subject]) {
        expect(output).not.toContain('{{')
        expect(output).not.toContain('donationReceipt.')
      }
    }
  })
})

describe('donation receipt props', () => {
  it('refuses a row that would print a wrong receipt', async () => {
    await expect(render('en', receipt({ currency: 'eur' }))).rejects.toThrow()
    await expect(render('en', receipt({ giftMinor: 3000 }))).rejects.toThrow()
    await expect(render('en', receipt({ interval: 'monthly' }))).rejects.toThrow()
    await expect(render('en', receipt({ manageDonationId: 42 }))).rejects.toThrow()
  })
})

describe.each(['en', 'de', 'es'] as const)('failed debit email (%s)', (lang) => {
  it('says briefly and kindly that nothing was charged, and links to the donate page to try again', async () => {
    const texts = catalogs[lang].donationFailed
    const email = await renderEmail(getDb(), {
      template: 'donation-failed',
      locale: lang,
      props: { firstName: 'Ana', amountMinor: 2598, currency: 'EUR', campaignTitle: 'Justice for Andry', campaignSlug: 'free-andry', organizationName: 'Demo Reporting Collective' },
    })
    const donateUrl = `${getEnv().publicUrl}/c/free-andry/donate`
    expect(email.subject).toBe(texts.subject.replace('{{campaign}}', 'Justice for Andry'))
    expect(email.text).toContain(expected[lang].amount)
    expect(email.text).toContain(texts.tryAgain)
    expect(email.links).toEqual([donateUrl])
    expect(email.html).toContain(`href="${donateUrl}"`)
    for (const output of [email.html, email.text, email.subject]) expect(output).not.toContain('{{')
    // Short: a few sentences, not a letter.
    expect(email.text.split(/\s+/).length).toBeLessThan(160)
  })

  it('has the same keys as English', () => {
    expect(Object.keys(catalogs[lang].donationFailed).sort()).toEqual(Object.keys(en.donationFailed).sort())
  })
})
