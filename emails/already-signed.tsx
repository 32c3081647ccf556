import { Link } from '@react-email/link'
import { Text } from '@react-email/text'
import { EmailLayout, Greeting, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type AlreadySignedProps = {
  t: EmailT
  lang: EmailLanguage
  firstName: string
  campaignTitle: string
  organizationName: string
  campaignUrl: string
}

export function subject({ t, campaignTitle }: Pick<AlreadySignedProps, 't' | 'campaignTitle'>): string {
  return subjectLine(translate(t, 'alreadySigned.subject', { campaign: campaignTitle }))
}

export default function AlreadySignedEmail({ t, lang, firstName, campaignTitle, organizationName, campaignUrl }: AlreadySignedProps) {
  const campaign = { campaign: campaignTitle }
  return (
    <EmailLayout
      lang={lang}
      preview={translate(t, 'alreadySigned.preview', campaign)}
      organizationName={organizationName}
      footer={translate(t, 'alreadySigned.footer', campaign)}
    >
      <Greeting t={t} firstName={firstName} />
      <Text style={styles.text}>{translate(t, 'alreadySigned.counted', campaign)}</Text>
      <Text style={styles.text}>
        {translate(t, 'alreadySigned.share')}
        <br />
        {/* The address itself is the link text, so it can be copied and passed on as it is. */}
        <Link href={campaignUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {campaignUrl}
        </Link>
      </Text>
      <Text style={styles.text}>{translate(t, 'alreadySigned.notYou')}</Text>
      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
