import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Text } from '@react-email/text'
import { EmailLayout, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type MyDataLinkProps = {
  t: EmailT
  lang: EmailLanguage
  organizationName: string
  openUrl: string
}

export function subject({ t, organizationName }: Pick<MyDataLinkProps, 't' | 'organizationName'>): string {
  return subjectLine(translate(t, 'me.subject', { organization: organizationName }))
}

/** Someone asked at /me for what we hold about this address: the one-time link, valid an hour. */
export default function MyDataLinkEmail({ t, lang, organizationName, openUrl }: MyDataLinkProps) {
  const values = { organization: organizationName }
  return (
    <EmailLayout lang={lang} preview={translate(t, 'me.preview', values)} organizationName={organizationName} footer={translate(t, 'me.footer', values)}>
      <Text style={styles.text}>{translate(t, 'me.greeting')}</Text>
      <Text style={styles.text}>{translate(t, 'me.body', values)}</Text>
      <Button href={openUrl} style={styles.button}>
        {translate(t, 'me.button')}
      </Button>
      <Text style={{ ...styles.small, margin: '16px 0' }}>
        {translate(t, 'me.fallback')}
        <br />
        <Link href={openUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {openUrl}
        </Link>
      </Text>
      <Text style={styles.text}>{translate(t, 'me.validity')}</Text>
      <Text style={styles.small}>{translate(t, 'me.notYou')}</Text>
      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
