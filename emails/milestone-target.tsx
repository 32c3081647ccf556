import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { formatNumber } from '~/utils/i18n.ts'
import { colors, EmailLayout, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type MilestoneTargetProps = {
  t: EmailT
  lang: EmailLanguage
  /** The target's name in its own language; empty for a neutral greeting. */
  targetName: string
  campaignTitle: string
  organizationName: string
  /** The confirmed count when the milestone was reached. */
  count: number
  petitionText: string
  /** The delivery packet (a derived token: it opens this campaign's packet, nothing else). */
  packetUrl: string
  campaignUrl: string
}

export function subject({ t, lang, campaignTitle, count }: Pick<MilestoneTargetProps, 't' | 'lang' | 'campaignTitle' | 'count'>): string {
  return subjectLine(translate(t, 'milestoneTarget.subject', { campaignTitle, count: formatNumber(count, lang) }))
}

/**
 * To whom the petition is addressed, once, at a milestone the team chose: short and formal, the
 * count, the petition's words, and the link to the delivery packet, where the count can be checked.
 */
export default function MilestoneTargetEmail({ t, lang, targetName, campaignTitle, organizationName, count, petitionText, packetUrl, campaignUrl }: MilestoneTargetProps) {
  const name = targetName.trim()
  const values = { campaign: campaignTitle, count: formatNumber(count, lang), organization: organizationName }
  return (
    <EmailLayout lang={lang} preview={translate(t, 'milestoneTarget.preview', values)} organizationName={organizationName} footer={translate(t, 'milestoneTarget.footer', values)}>
      <Text style={styles.text}>{name ? translate(t, 'milestoneTarget.greeting', { name }) : translate(t, 'milestoneTarget.greetingNoName')}</Text>
      <Text style={styles.text}>{translate(t, 'milestoneTarget.body', values)}</Text>
      {petitionText ? (
        <Section style={{ padding: '12px 16px', margin: '0 0 16px', backgroundColor: colors.quote, borderLeft: `4px solid ${colors.line}` }}>
          <Text style={{ ...styles.small, margin: '0 0 4px' }}>{translate(t, 'milestoneTarget.petitionIntro')}</Text>
          <Text style={{ ...styles.text, margin: 0, whiteSpace: 'pre-line' }}>{petitionText}</Text>
        </Section>
      ) : null}
      <Text style={styles.text}>{translate(t, 'milestoneTarget.packet')}</Text>
      <Section style={{ margin: '8px 0 16px', textAlign: 'center' }}>
        <Button href={packetUrl} style={styles.button}>
          {translate(t, 'milestoneTarget.button')}
        </Button>
      </Section>
      <Text style={styles.small}>
        {translate(t, 'milestoneTarget.fallback')}
        <br />
        <Link href={packetUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {packetUrl}
        </Link>
      </Text>
      <Text style={styles.text}>{translate(t, 'milestoneTarget.verify')}</Text>
      <Text style={styles.small}>
        {translate(t, 'milestoneTarget.campaignPage')}{' '}
        <Link href={campaignUrl} style={styles.link}>
          {campaignUrl}
        </Link>
      </Text>
      <Text style={{ ...styles.text, margin: '24px 0 0' }}>
        {translate(t, 'milestoneTarget.signOff')}
        <br />
        {organizationName}
      </Text>
    </EmailLayout>
  )
}
