import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Text } from '@react-email/text'
import { EmailLayout, Greeting, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type OrganizerNewDeviceProps = {
  t: EmailT
  lang: EmailLanguage
  name: string
  /** describeUserAgent's summary ("Firefox on Linux"), or '' when it told nothing. */
  device: string
  /** When the sign-in passed its first check (epoch ms). */
  at: number
  organizationName: string
  sessionsUrl: string
}

export function subject({ t }: Pick<OrganizerNewDeviceProps, 't'>): string {
  return subjectLine(translate(t, 'organizerNewDevice.subject'))
}

/** "Firefox unter Linux": the summary's two names are fixed English words, the joining word is the reader's. */
export function deviceText(t: EmailT, device: string) {
  const parts = /^(.+) on (.+)$/.exec(device)
  if (parts) return translate(t, 'organizerNewDevice.deviceOn', { browser: parts[1], system: parts[2] })
  return device || translate(t, 'organizerNewDevice.unknownDevice')
}

/** The time in UTC, written as the reader's language writes it: the server cannot know their time zone. */
function when(at: number, lang: EmailLanguage) {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(at)) + ' UTC'
}

/** Someone passed the password (or a passkey) of this organiser from a browser they had not used before. */
export default function OrganizerNewDeviceEmail({ t, lang, name, device, at, organizationName, sessionsUrl }: OrganizerNewDeviceProps) {
  const values = { device: deviceText(t, device), when: when(at, lang), organization: organizationName }
  return (
    <EmailLayout lang={lang} preview={translate(t, 'organizerNewDevice.preview', values)} organizationName={organizationName} footer={translate(t, 'organizerNewDevice.footer', values)}>
      <Greeting t={t} firstName={name} />
      <Text style={styles.text}>{translate(t, 'organizerNewDevice.body', values)}</Text>
      <Text style={{ ...styles.text, fontWeight: 700 }}>
        {values.device}
        <br />
        {values.when}
      </Text>
      <Text style={styles.text}>{translate(t, 'organizerNewDevice.ifYou')}</Text>
      <Text style={styles.text}>{translate(t, 'organizerNewDevice.ifNotYou')}</Text>
      <Button href={sessionsUrl} style={styles.button}>
        {translate(t, 'organizerNewDevice.button')}
      </Button>
      <Text style={{ ...styles.small, margin: '16px 0' }}>
        {translate(t, 'organizerNewDevice.fallback')}
        <br />
        <Link href={sessionsUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {sessionsUrl}
        </Link>
      </Text>
      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
