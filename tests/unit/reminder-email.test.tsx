import { render } from '@react-email/render'
import { getDb } from '#db/client.server.ts'
import { describe, expect, it } from 'vitest'
import ConfirmReminderEmail from '#emails/confirm-reminder.tsx'
import { renderEmail, withLegalLinks } from '~/workflows/email-templates.server.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getI18n } from '~/utils/i18n.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'

// Every email's footer links to the legal pages (set around the template by renderEmail).
const framed = (element: React.ReactElement<{ t: (key: string) => string; lang: 'en' | 'de' | 'es' }>) => withLegalLinks(element, element.props, getEnv().publicUrl)

const LANGS = ['en', 'de', 'es'] as const
type Lang = (typeof LANGS)[number]

const t = (lang: Lang) => {
  const fixed = getI18n(lang).getFixedT(lang, 'emails')
  return (key: string, options?: Record<string, unknown>) => fixed(key, options ?? {}) as string
}

const props = { campaignTitle: 'Free Andry', organizationName: 'Friends & Allies', petitionText: 'Release Andry Rakoto now.' }

// Words only the reminder's own text has, per language: it says it is the one reminder.
const onlyReminder: Record<Lang, RegExp> = { en: /only reminder/i, de: /einzige Erinnerung/i, es: /único recordatorio/i }

describe('the confirmation reminder', () => {
  it('carries the same confirm and "this wasn’t me" links as the confirmation email', async () => {
    const base = getEnv().publicUrl
    const token = signatureToken('seed-reminder')
    const confirmation = await renderEmail(getDb(), { template: 'confirm-signature', locale: 'en', props: { ...props, firstName: 'Ana', tokenSeed: 'seed-reminder' } })
    const reminder = await renderEmail(getDb(), { template: 'confirm-reminder', locale: 'en', props: { ...props, firstName: 'Ana', tokenSeed: 'seed-reminder' } })
    expect(reminder.links).toEqual(confirmation.links)
    expect(reminder.links).toEqual([`${base}/confirm/${token}`, `${base}/confirm/${token}?not-me`])
    expect(reminder.html.split(`href="${base}/confirm/${token}"`).length - 1).toBe(1)
    expect(reminder.html.split(`href="${base}/confirm/${token}?not-me"`).length - 1).toBe(1)
    expect(reminder.text).toContain(`${base}/confirm/${token}`)
  })

  it('is written in the signer’s language, says it is the only reminder, and has a subject of its own', async () => {
    const subjects = new Set<string>()
    for (const lang of LANGS) {
      const email = await renderEmail(getDb(), { template: 'confirm-reminder', locale: lang, props: { ...props, firstName: 'Ana', tokenSeed: 'seed' } })
      expect(email.html).toContain(`lang="${lang}"`)
      expect(email.text).toMatch(onlyReminder[lang])
      for (const other of LANGS.filter((l) => l !== lang)) expect(email.text).not.toMatch(onlyReminder[other])
      expect(email.subject).toContain('Free Andry')
      expect(email.subject).not.toMatch(/[\r\n]/)
      subjects.add(email.subject)
      const confirmation = await renderEmail(getDb(), { template: 'confirm-signature', locale: lang, props: { ...props, firstName: 'Ana', tokenSeed: 'seed' } })
      expect(email.subject).not.toBe(confirmation.subject)
    }
    expect(subjects.size).toBe(3)
  })

  it('gives exactly what a fresh render gives, for every recipient, though the template is rendered once', async () => {
    const base = getEnv().publicUrl
    for (const [firstName, seed] of [
      ['Zoë', 'seed-one'],
      [`O'Brien <b>&"x"`, 'seed-two'],
      ['', 'seed-three'],
    ] as const) {
      const cached = await renderEmail(getDb(), { template: 'confirm-reminder', locale: 'de', props: { ...props, firstName, tokenSeed: seed } })
      const token = signatureToken(seed)
      const element = (
        <ConfirmReminderEmail t={t('de')} lang="de" {...props} firstName={firstName} confirmUrl={`${base}/confirm/${token}`} discardUrl={`${base}/confirm/${token}?not-me`} />
      )
      expect(cached.html).toBe(await render(framed(element)))
      expect(cached.text).toBe(await render(framed(element), { plainText: true }))
    }
  })
})
