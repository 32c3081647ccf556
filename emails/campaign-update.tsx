import { Button } from '@react-email/button'
import { Heading } from '@react-email/heading'
import { Img } from '@react-email/img'
import { Link } from '@react-email/link'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { EmailLayout, SignOff, colors, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type CampaignUpdateProps = {
  t: EmailT
  lang: EmailLanguage
  title: string
  /** The update's Markdown, already rendered and sanitised (app/utils/markdown.server.ts). */
  bodyHtml: string
  /** The update's picture, as an absolute URL, and its description; null without one. */
  image?: { url: string; alt: string } | null
  campaignTitle: string
  campaignUrl: string
  organizationName: string
  unsubscribeUrl: string
  preferencesUrl: string
}

export function subject({ title }: Pick<CampaignUpdateProps, 'title'>): string {
  return subjectLine(title)
}

/** An update about the case, to supporters who asked for news; every one carries its own unsubscribe link. */
export default function CampaignUpdateEmail({ t, lang, title, bodyHtml, image, campaignTitle, campaignUrl, organizationName, unsubscribeUrl, preferencesUrl }: CampaignUpdateProps) {
  const campaign = { campaign: campaignTitle }
  return (
    <EmailLayout
      lang={lang}
      preview={translate(t, 'campaignUpdate.preview', campaign)}
      organizationName={organizationName}
      footer={
        <>
          {translate(t, 'campaignUpdate.why', campaign)}{' '}
          <Link href={unsubscribeUrl} style={{ color: colors.ink, textDecoration: 'underline' }}>
            {translate(t, 'campaignUpdate.unsubscribe')}
          </Link>
          {' · '}
          <Link href={preferencesUrl} style={{ color: colors.ink, textDecoration: 'underline' }}>
            {translate(t, 'campaignUpdate.preferences')}
          </Link>
        </>
      }
    >
      <Heading as="h1" style={{ fontSize: '24px', lineHeight: '32px', margin: '0 0 16px', color: colors.ink }}>
        {title}
      </Heading>
      {image ? (
        <Section style={{ margin: '0 0 16px' }}>
          <Img src={image.url} alt={image.alt} width="100%" style={{ maxWidth: '100%', height: 'auto', borderRadius: '6px' }} />
        </Section>
      ) : null}
      <Section>
        <div style={{ fontSize: '16px', lineHeight: '26px' }} dangerouslySetInnerHTML={{ __html: bodyHtml }} />
      </Section>
      <Section style={{ margin: '24px 0 8px' }}>
        <Button href={campaignUrl} style={styles.button}>
          {translate(t, 'campaignUpdate.read', campaign)}
        </Button>
      </Section>
      <SignOff t={t} organizationName={organizationName} />
      <Text style={{ ...styles.small, marginTop: '24px' }}>{translate(t, 'campaignUpdate.private')}</Text>
    </EmailLayout>
  )
}
