import { render } from '@react-email/render'
import { describe, expect, it } from 'vitest'
import AlreadySignedEmail from '#emails/already-signed.tsx'
import ConfirmSignatureEmail from '#emails/confirm-signature.tsx'
import { renderEmail } from '~/services/email-templates.server.tsx'
import { getEnv } from '~/services/env.server.ts'
import { getI18n } from '~/services/i18n.server.ts'
import { signatureToken } from '~/services/tokens.server.ts'

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
      const cached = await renderEmail({ template: 'confirm-signature', locale: 'de', props: { ...props, firstName, tokenSeed: seed } })
      const token = signatureToken(seed)
      const element = (
        <ConfirmSignatureEmail t={t('de')} lang="de" {...props} firstName={firstName} confirmUrl={`${base}/confirm/${token}`} discardUrl={`${base}/confirm/${token}?not-me`} />
      )
      expect(cached.html).toBe(await render(element))
      expect(cached.text).toBe(await render(element, { plainText: true }))
      expect(cached.links).toEqual([`${base}/confirm/${token}`, `${base}/confirm/${token}?not-me`])
    }
  })

  it('does the same for the already-signed email', async () => {
    const base = getEnv().publicUrl
    const cached = await renderEmail({
      template: 'already-signed',
      locale: 'es',
      props: { firstName: 'Ana & Luz', campaignTitle: 'Justicia para Andry', organizationName: 'Demo', campaignSlug: 'free-andry' },
    })
    const element = <AlreadySignedEmail t={t('es')} lang="es" firstName="Ana & Luz" campaignTitle="Justicia para Andry" organizationName="Demo" campaignUrl={`${base}/c/free-andry`} />
    expect(cached.html).toBe(await render(element))
    expect(cached.text).toBe(await render(element, { plainText: true }))
  })
})
