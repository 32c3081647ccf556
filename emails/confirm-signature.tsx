import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { Fragment } from 'react'
import { EmailLayout, Greeting, SignOff, colors, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

/** How long the confirmation link works, as the email tells the signer. Keep in step with the token lifetime. */
export const CONFIRM_LINK_VALID_DAYS = 7

export type ConfirmSignatureProps = {
  t: EmailT
  lang: EmailLanguage
  firstName: string
  campaignTitle: string
  organizationName: string
  confirmUrl: string
  discardUrl: string
  petitionText: string
}

export function subject({ t, campaignTitle }: Pick<ConfirmSignatureProps, 't' | 'campaignTitle'>): string {
  return subjectLine(translate(t, 'confirmSignature.subject', { campaign: campaignTitle }))
}

/** The petition text, quoted: a blank line starts a paragraph, single line breaks are kept. */
function PetitionQuote({ text }: { text: string }) {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
  return (
    <blockquote
      style={{
        margin: '0 0 16px',
        padding: '12px 16px',
        borderLeft: `4px solid ${colors.line}`,
        backgroundColor: colors.quote,
        color: colors.ink,
      }}
    >
      {paragraphs.map((paragraph, i) => (
        <Text key={i} style={{ ...styles.text, margin: i === paragraphs.length - 1 ? 0 : '0 0 12px', backgroundColor: colors.quote }}>
          {paragraph.split('\n').map((line, j) => (
            <Fragment key={j}>
              {j > 0 ? <br /> : null}
              {line}
            </Fragment>
          ))}
        </Text>
      ))}
    </blockquote>
  )
}

export default function ConfirmSignatureEmail({
  t,
  lang,
  firstName,
  campaignTitle,
  organizationName,
  confirmUrl,
  discardUrl,
  petitionText,
}: ConfirmSignatureProps) {
  const campaign = { campaign: campaignTitle }
  return (
    <EmailLayout
      lang={lang}
      preview={translate(t, 'confirmSignature.preview', campaign)}
      organizationName={organizationName}
      footer={translate(t, 'confirmSignature.footer', campaign)}
    >
      <Greeting t={t} firstName={firstName} />
      <Text style={styles.text}>{translate(t, 'confirmSignature.intro', campaign)}</Text>

      <ConfirmButton t={t} confirmUrl={confirmUrl} />

      <Text style={styles.text}>{translate(t, 'confirmSignature.howItWorks')}</Text>
      <Text style={styles.text}>{translate(t, 'confirmSignature.expiry', { count: CONFIRM_LINK_VALID_DAYS })}</Text>
      <ConfirmFallback t={t} confirmUrl={confirmUrl} />

      <Text style={styles.heading}>{translate(t, 'confirmSignature.petitionHeading')}</Text>
      <PetitionQuote text={petitionText} />

      <NotMe t={t} discardUrl={discardUrl} />

      <Text style={styles.small}>{translate(t, 'confirmSignature.privacy')}</Text>

      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}

/** The confirmation's button; the reminder has the same. */
export function ConfirmButton({ t, confirmUrl }: { t: EmailT; confirmUrl: string }) {
  return (
    <Section style={{ margin: '8px 0 24px', textAlign: 'center' }}>
      <Button href={confirmUrl} style={styles.button}>
        {translate(t, 'confirmSignature.button')}
      </Button>
    </Section>
  )
}

/** The link as text, for a mail client that hides the button (the plain-text version prints it beside the button's label already). */
export function ConfirmFallback({ t, confirmUrl }: { t: EmailT; confirmUrl: string }) {
  return (
    <Text style={styles.small} data-skip-in-text="true">
      {translate(t, 'confirmSignature.fallback')}
      <br />
      <span style={styles.url}>{confirmUrl}</span>
    </Text>
  )
}

/** "This wasn't me": discards the details this email was sent for. */
export function NotMe({ t, discardUrl }: { t: EmailT; discardUrl: string }) {
  return (
    <Text style={styles.text}>
      {translate(t, 'confirmSignature.notYou')}
      <br />
      <Link href={discardUrl} style={styles.link}>
        {translate(t, 'confirmSignature.discard')}
      </Link>
    </Text>
  )
}
