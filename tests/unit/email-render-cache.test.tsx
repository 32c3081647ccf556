import { render } from '@react-email/render'
import { asc, eq } from 'drizzle-orm'
import { getDb } from '#db/client.server.ts'
import { firstRow, execute } from '#db/query.server.ts'
import { updates, updateTranslations } from '#db/schema.ts'
import { describe, expect, it } from 'vitest'
import AlreadySignedEmail from '#emails/already-signed.tsx'
import ConfirmSignatureEmail from '#emails/confirm-signature.tsx'
import { renderEmail, withLegalLinks } from '~/workflows/email-templates.server.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getI18n } from '~/utils/i18n.server.ts'
import { signatureToken } from '~/utils/tokens.server.ts'

// Every email's footer links to the legal pages (set around the template by renderEmail).
const framed = (element: React.ReactElement<{ t: (key: string) => string; lang: 'en' | 'de' | 'es' }>) => withLegalLinks(element, element.props, getEnv().publicUrl)

const t = (lang: 'en' | 'de' | 'es') => {
  const fixed = getI18n(lang).getFixedT(lang, 'emails')
  return (key: string, options?: Record<string, unknown>) => fixed(key, options ?? {}) as string
}

describe('renderEmail', () => {
  it('gives exactly what a fresh render gives, for every recipient, though the template is rendered once', async () => {
    const base = getEnv().publicUrl
    const props = { campaignTitle: 'Gerechtigkeit für Andry', organizationName: 'Demo Reporting Collective', petitionText: 'Beenden Sie die Abschiebungen.' }
    for (const [firstName, seed] of [
      ['Zoë', 'seed-one'],
      [`O'Brien <b>&"x"`, 'seed-two'],
    ] as const) {
      const cached = await renderEmail(getDb(), { template: 'confirm-signature', locale: 'de', props: { ...props, firstName, tokenSeed: seed } })
      const token = signatureToken(seed)
      const element = (
        <ConfirmSignatureEmail t={t('de')} lang="de" {...props} firstName={firstName} confirmUrl={`${base}/confirm/${token}`} discardUrl={`${base}/confirm/${token}?not-me`} />
      )
      expect(cached.html).toBe(await render(framed(element)))
      expect(cached.text).toBe(await render(framed(element), { plainText: true }))
      expect(cached.links).toEqual([`${base}/confirm/${token}`, `${base}/confirm/${token}?not-me`])
    }
  })

  it('does the same for the already-signed email', async () => {
    const base = getEnv().publicUrl
    const cached = await renderEmail(getDb(), {
      template: 'already-signed',
      locale: 'es',
      props: { firstName: 'Ana & Luz', campaignTitle: 'Justicia para Andry', organizationName: 'Demo', campaignSlug: 'free-andry' },
    })
    const element = <AlreadySignedEmail t={t('es')} lang="es" firstName="Ana & Luz" campaignTitle="Justicia para Andry" organizationName="Demo" campaignUrl={`${base}/c/free-andry`} />
    expect(cached.html).toBe(await render(framed(element)))
    expect(cached.text).toBe(await render(framed(element), { plainText: true }))
  })
})

// The cache fills in per-recipient values after rendering. Whatever a signer types as a name,
// or an organiser writes in a petition or an update, must come out as typed: never as someone's link.
describe('renderEmail, against text that looks like a placeholder', () => {
  const base = () => getEnv().publicUrl
  const props = { campaignTitle: 'Free Andry', organizationName: 'Demo', petitionText: 'Release him.' }
  const markers = ['VIGILPLACEHOLDERTOKEN', 'VIGILPLACEHOLDERNAME', 'VIGILPLACEHOLDERUNSUBSCRIBE', 'VIGILPLACEHOLDERPREFERENCES']

  it.each(markers)('puts a first name of %s in the greeting as typed, not the confirmation token', async (firstName) => {
    const token = signatureToken('seed-marker')
    const cached = await renderEmail(getDb(), { template: 'confirm-signature', locale: 'en', props: { ...props, firstName, tokenSeed: 'seed-marker' } })
    const element = (
      <ConfirmSignatureEmail t={t('en')} lang="en" {...props} firstName={firstName} confirmUrl={`${base()}/confirm/${token}`} discardUrl={`${base()}/confirm/${token}?not-me`} />
    )
    expect(cached.html).toBe(await render(framed(element)))
    expect(cached.text).toBe(await render(framed(element), { plainText: true }))
    expect(cached.text).toContain(`Hi ${firstName},`)
  })

  it('greets a signer without a first name as a fresh render does', async () => {
    const token = signatureToken('seed-no-name')
    const cached = await renderEmail(getDb(), { template: 'confirm-signature', locale: 'de', props: { ...props, firstName: ' ', tokenSeed: 'seed-no-name' } })
    const element = <ConfirmSignatureEmail t={t('de')} lang="de" {...props} firstName="" confirmUrl={`${base()}/confirm/${token}`} discardUrl={`${base()}/confirm/${token}?not-me`} />
    expect(cached.html).toBe(await render(framed(element)))
  })

  it('leaves a petition text that holds the placeholders as the organiser wrote it', async () => {
    const petitionText = `Release him. VIGILPLACEHOLDERTOKEN ${base()}/confirm/VIGILPLACEHOLDERTOKEN VIGILPLACEHOLDERNAME`
    const token = signatureToken('seed-petition')
    const cached = await renderEmail(getDb(), { template: 'confirm-signature', locale: 'es', props: { ...props, petitionText, firstName: 'Ana', tokenSeed: 'seed-petition' } })
    const element = (
      <ConfirmSignatureEmail t={t('es')} lang="es" {...props} petitionText={petitionText} firstName="Ana" confirmUrl={`${base()}/confirm/${token}`} discardUrl={`${base()}/confirm/${token}?not-me`} />
    )
    expect(cached.html).toBe(await render(framed(element)))
    expect(cached.text).toBe(await render(framed(element), { plainText: true }))
  })

  it('leaves a campaign title that looks like a placeholder as written in the already-signed email', async () => {
    const cached = await renderEmail(getDb(), {
      template: 'already-signed',
      locale: 'de',
      props: { firstName: 'Ana', campaignTitle: 'VIGILPLACEHOLDERNAME', organizationName: 'Demo', campaignSlug: 'free-andry' },
    })
    const element = (
      <AlreadySignedEmail t={t('de')} lang="de" firstName="Ana" campaignTitle="VIGILPLACEHOLDERNAME" organizationName="Demo" campaignUrl={`${base()}/c/free-andry`} />
    )
    expect(cached.html).toBe(await render(framed(element)))
  })

  it('gives each recipient of an update only their own links where the update text copies the placeholder links', async () => {
    const { getDb } = await import('#db/client.server.ts')
    const { seedDemo } = await import('../../scripts/seed/seed.ts')
    const { unsubscribeToken, preferencesToken } = await import('~/utils/tokens.server.ts')
    const db = getDb()
    await seedDemo(db, { demoOrganizer: false })
    const update = await firstRow(db.select({ id: updates.id, campaignId: updates.campaignId }).from(updates).orderBy(asc(updates.id)).limit(1))
    if (!update) throw new Error('the demo campaign has no update')
    const copied = `Copied: ${base()}/unsubscribe/VIGILPLACEHOLDERUNSUBSCRIBE and ${base()}/preferences/VIGILPLACEHOLDERPREFERENCES`
    await execute(db.update(updateTranslations).set({ bodyMd: copied }).where(eq(updateTranslations.updateId, update.id)))
    const email = await renderEmail(getDb(), { template: 'campaign-update', locale: 'en', props: { updateId: update.id, supporterId: 42 } })
    const own = [`${base()}/unsubscribe/${unsubscribeToken(42, update.campaignId)}`, `${base()}/preferences/${preferencesToken(42)}`]
    for (const body of [email.html, email.text]) {
      expect(body).toContain('/unsubscribe/VIGILPLACEHOLDERUNSUBSCRIBE')
      expect(body).toContain('/preferences/VIGILPLACEHOLDERPREFERENCES')
      // Once in the footer (the text version may print each link beside its label): nowhere in the update's own words.
      expect(body.split(own[0]!).length - 1, body).toBeLessThanOrEqual(body === email.text ? 2 : 1)
      expect(body.split(own[0]!).length - 1).toBeGreaterThanOrEqual(1)
    }
  })
})
