import { Text } from '@react-email/text'
import { ConfirmButton, ConfirmFallback, NotMe } from './confirm-signature.tsx'
import { EmailLayout, Greeting, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

/** The one reminder to a signer who has not confirmed after a day: the same two links as the confirmation email. */
export type ConfirmReminderProps = {
  t: EmailT
  lang: EmailLanguage
  firstName: string
  campaignTitle: string
  organizationName: string
  confirmUrl: string
  discardUrl: string
}

export function subject({ t, campaignTitle }: Pick<ConfirmReminderProps, 't' | 'campaignTitle'>): string {
  return subjectLine(translate(t, 'confirmReminder.subject', { campaign: campaignTitle }))
}

export default function ConfirmReminderEmail({ t, lang, firstName, campaignTitle, organizationName, confirmUrl, discardUrl }: ConfirmReminderProps) {
  const campaign = { campaign: campaignTitle }
  return (
    <EmailLayout
      lang={lang}
      preview={translate(t, 'confirmReminder.preview', campaign)}
      organizationName={organizationName}
      footer={translate(t, 'confirmSignature.footer', campaign)}
    >
      <Greeting t={t} firstName={firstName} />
      <Text style={styles.text}>{translate(t, 'confirmReminder.intro', campaign)}</Text>

      <ConfirmButton t={t} confirmUrl={confirmUrl} />

      <Text style={styles.text}>{translate(t, 'confirmReminder.onlyOne')}</Text>
      <ConfirmFallback t={t} confirmUrl={confirmUrl} />

      <NotMe t={t} discardUrl={discardUrl} />

      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
