import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Text } from '@react-email/text'
import { EmailLayout, Greeting, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type OrganizerInviteProps = {
  t: EmailT
  lang: EmailLanguage
  name: string
  invitedBy: string
  organizationName: string
  setPasswordUrl: string
  backOfficeUrl: string
}

export function subject({ t, organizationName }: Pick<OrganizerInviteProps, 't' | 'organizationName'>): string {
  return subjectLine(translate(t, 'organizerInvite.subject', { organization: organizationName }))
}

/** An owner added this person as an organiser: the one-time link to set their password. */
export default function OrganizerInviteEmail({ t, lang, name, invitedBy, organizationName, setPasswordUrl, backOfficeUrl }: OrganizerInviteProps) {
  const values = { organization: organizationName, inviter: invitedBy }
  return (
    <EmailLayout lang={lang} preview={translate(t, 'organizerInvite.preview', values)} organizationName={organizationName} footer={translate(t, 'organizerInvite.footer', values)}>
      <Greeting t={t} firstName={name} />
      <Text style={styles.text}>{translate(t, 'organizerInvite.invited', values)}</Text>
      <Text style={styles.text}>{translate(t, 'organizerInvite.setPassword', values)}</Text>
      <Button href={setPasswordUrl} style={styles.button}>
        {translate(t, 'organizerInvite.button')}
      </Button>
      <Text style={{ ...styles.small, margin: '16px 0' }}>
        {translate(t, 'organizerInvite.fallback')}
        <br />
        <Link href={setPasswordUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {setPasswordUrl}
        </Link>
      </Text>
      <Text style={styles.text}>
        {translate(t, 'organizerInvite.afterwards')}{' '}
        <Link href={backOfficeUrl} style={styles.link}>
          {backOfficeUrl}
        </Link>
      </Text>
      <Text style={styles.small}>{translate(t, 'organizerInvite.notExpected')}</Text>
      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
