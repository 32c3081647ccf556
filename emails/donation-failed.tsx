import { Button } from '@react-email/button'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { formatMoney } from '~/utils/i18n.ts'
import { EmailLayout, Greeting, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type DonationFailedProps = {
  t: EmailT
  lang: EmailLanguage
  /** The name given for receipts; empty for a neutral greeting. */
  firstName: string
  amountMinor: number
  currency: string
  campaignTitle: string
  organizationName: string
  /** The donate page, where trying again starts. */
  donateUrl: string
}

export function subject({ t, campaignTitle }: Pick<DonationFailedProps, 't' | 'campaignTitle'>): string {
  return subjectLine(translate(t, 'donationFailed.subject', { campaign: campaignTitle }))
}

/** A bank debit that did not go through: short and kind, nothing charged, how to try again. */
export default function DonationFailedEmail({ t, lang, firstName, amountMinor, currency, campaignTitle, organizationName, donateUrl }: DonationFailedProps) {
  const values = { amount: formatMoney(amountMinor, currency, lang), campaign: campaignTitle }
  return (
    <EmailLayout lang={lang} preview={translate(t, 'donationFailed.preview', values)} organizationName={organizationName} footer={translate(t, 'donationFailed.footer')}>
      <Greeting t={t} firstName={firstName} />
      <Text style={styles.text}>{translate(t, 'donationFailed.body', values)}</Text>
      <Text style={styles.text}>{translate(t, 'donationFailed.why')}</Text>
      <Section style={{ margin: '8px 0 16px', textAlign: 'center' }}>
        <Button href={donateUrl} style={styles.button}>
          {translate(t, 'donationFailed.tryAgain')}
        </Button>
      </Section>
      <Text style={styles.text}>{translate(t, 'donationFailed.thanks', values)}</Text>
      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
