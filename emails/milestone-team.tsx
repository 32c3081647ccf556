import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { formatNumber } from '~/utils/i18n.ts'
import { colors, EmailLayout, SignOff, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type MilestoneTeamProps = {
  t: EmailT
  lang: EmailLanguage
  campaignTitle: string
  organizationName: string
  threshold: number
  /** The confirmed count when it was reached. */
  count: number
  /** What the team said happens at this milestone, in the email's language; empty when they said nothing. */
  happens: string
  /** The timeline draft in the back office. */
  draftUrl: string
}

export function subject({ t, lang, campaignTitle, threshold }: Pick<MilestoneTeamProps, 't' | 'lang' | 'campaignTitle' | 'threshold'>): string {
  return subjectLine(translate(t, 'milestoneTeam.subject', { campaignTitle, threshold: formatNumber(threshold, lang) }))
}

/** To the campaign's team: the count reached a milestone; a timeline draft waits for them. */
export default function MilestoneTeamEmail({ t, lang, campaignTitle, organizationName, threshold, count, happens, draftUrl }: MilestoneTeamProps) {
  const values = { campaign: campaignTitle, threshold: formatNumber(threshold, lang), count: formatNumber(count, lang) }
  return (
    <EmailLayout lang={lang} preview={translate(t, 'milestoneTeam.preview', values)} organizationName={organizationName} footer={translate(t, 'milestoneTeam.footer', values)}>
      <Text style={styles.text}>{translate(t, 'milestoneTeam.greeting')}</Text>
      <Text style={styles.text}>{translate(t, 'milestoneTeam.body', values)}</Text>
      {happens ? (
        <Section style={{ padding: '12px 16px', margin: '0 0 16px', backgroundColor: colors.quote, borderLeft: `4px solid ${colors.line}` }}>
          <Text style={{ ...styles.small, margin: '0 0 4px' }}>{translate(t, 'milestoneTeam.happens')}</Text>
          <Text style={{ ...styles.text, margin: 0 }}>{happens}</Text>
        </Section>
      ) : null}
      <Text style={styles.text}>{translate(t, 'milestoneTeam.draft')}</Text>
      <Section style={{ margin: '8px 0 16px', textAlign: 'center' }}>
        <Button href={draftUrl} style={styles.button}>
          {translate(t, 'milestoneTeam.button')}
        </Button>
      </Section>
      <Text style={styles.small}>
        {translate(t, 'milestoneTeam.fallback')}
        <br />
        <Link href={draftUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {draftUrl}
        </Link>
      </Text>
      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
