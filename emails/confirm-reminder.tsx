import { Button, Link, Section, Text } from '@react-email/components'
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

      <Section style={{ margin: '8px 0 24px', textAlign: 'center' }}>
        <Button href={confirmUrl} style={styles.button}>
          {translate(t, 'confirmSignature.button')}
        </Button>
      </Section>

      <Text style={styles.text}>{translate(t, 'confirmReminder.onlyOne')}</Text>
      {/* The plain-text version already prints the address next to the button label. */}
      <Text style={styles.small} data-skip-in-text="true">
        {translate(t, 'confirmSignature.fallback')}
        <br />
        <span style={styles.url}>{confirmUrl}</span>
      </Text>

      <Text style={styles.text}>
        {translate(t, 'confirmSignature.notYou')}
        <br />
        <Link href={discardUrl} style={styles.link}>
          {translate(t, 'confirmSignature.discard')}
        </Link>
      </Text>

      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
