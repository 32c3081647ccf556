import { Body } from '@react-email/body'
import { Container } from '@react-email/container'
import { Head } from '@react-email/head'
import { Html } from '@react-email/html'
import { Link } from '@react-email/link'
import { Preview } from '@react-email/preview'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { createContext, useContext, type CSSProperties, type ReactNode } from 'react'

/** The translate function templates receive, bound to the `emails` namespace and the recipient's language. */
export type EmailT = (key: string, options?: Record<string, unknown>) => string
export type EmailLanguage = 'en' | 'de' | 'es'

/**
 * Translates with interpolation escaping off. React escapes every string it renders, and subjects are
 * plain text, so i18next's own HTML escaping would only double-escape (a name like O'Brien would arrive
 * as "O&#39;Brien"), whatever the escapeValue setting of the instance the caller passed in.
 */
export function translate(t: EmailT, key: string, values?: Record<string, unknown>): string {
  return t(key, { ...values, interpolation: { escapeValue: false } })
}

/** A subject line is a single header line: no line breaks, however the campaign title was typed. */
export function subjectLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}

// Colours of the public site (app/styles/app.css). Every block sets both text and background colour, so
// clients that invert emails in dark mode (Gmail, Outlook) invert whole blocks and never leave dark text on
// a dark default background. Text contrast is at least 7:1 (WCAG AAA) in the light rendering.
export const colors = {
  ink: '#1b1d22',
  inkSoft: '#4a4f5a',
  paper: '#fbfaf7',
  card: '#ffffff',
  line: '#e3e0d8',
  accentDark: '#8a3f06',
  quote: '#f6f4ef',
} as const

// System fonts only: a web font would be a request to another server.
const font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif"

export const styles = {
  text: { margin: '0 0 16px', fontSize: '16px', lineHeight: '24px', color: colors.ink },
  small: { margin: '0 0 16px', fontSize: '14px', lineHeight: '21px', color: colors.inkSoft },
  link: { color: colors.accentDark, textDecoration: 'underline' },
  heading: { margin: '24px 0 8px', fontSize: '16px', lineHeight: '24px', fontWeight: 700, color: colors.ink },
  button: {
    display: 'inline-block',
    padding: '14px 24px',
    borderRadius: '6px',
    backgroundColor: colors.accentDark,
    color: '#ffffff',
    fontSize: '17px',
    lineHeight: '24px',
    fontWeight: 700,
    textDecoration: 'none',
  },
  /** For URLs printed as text: long tokens must wrap instead of widening the layout. */
  url: { wordBreak: 'break-all', color: colors.ink },
} satisfies Record<string, CSSProperties>

/** The instance's privacy policy and imprint, linked from every email's footer (set by email-templates.server.tsx). */
export type LegalLinks = { privacy: { url: string; label: string }; imprint: { url: string; label: string }; myData?: { url: string; label: string } }
export const LegalLinksContext = createContext<LegalLinks | null>(null)

function LegalFooter() {
  const legal = useContext(LegalLinksContext)
  if (!legal) return null
  return (
    <Section style={{ padding: '12px 24px 0', backgroundColor: colors.paper }}>
      <Text style={{ ...styles.small, margin: 0, fontSize: '13px', lineHeight: '20px' }}>
        <Link href={legal.privacy.url} style={styles.link}>
          {legal.privacy.label}
        </Link>
        {' · '}
        <Link href={legal.imprint.url} style={styles.link}>
          {legal.imprint.label}
        </Link>
        {legal.myData ? (
          <>
            {' · '}
            <Link href={legal.myData.url} style={styles.link}>
              {legal.myData.label}
            </Link>
          </>
        ) : null}
      </Text>
    </Section>
  )
}

export function EmailLayout({
  lang,
  preview,
  organizationName,
  footer,
  children,
}: {
  lang: EmailLanguage
  /** The line inboxes show after the subject. */
  preview: string
  organizationName: string
  /** Why the recipient got this email. */
  footer?: ReactNode
  children: ReactNode
}) {
  return (
    <Html lang={lang} dir="ltr">
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* One light design with explicit colours; tells Apple Mail not to recolour it half-way. */}
        <meta name="color-scheme" content="light" />
        <meta name="supported-color-schemes" content="light" />
      </Head>
      <Body style={{ margin: 0, padding: 0, backgroundColor: colors.paper }}>
        <Preview>{preview}</Preview>
        <Container
          style={{
            width: '100%',
            maxWidth: '600px',
            margin: '0 auto',
            padding: '24px 0',
            backgroundColor: colors.paper,
            fontFamily: font,
            color: colors.ink,
          }}
        >
          <Section
            style={{
              padding: '0 24px 16px',
              borderBottom: `3px solid ${colors.accentDark}`,
              backgroundColor: colors.paper,
            }}
          >
            <Text style={{ margin: 0, fontSize: '20px', lineHeight: '28px', fontWeight: 700, color: colors.ink }}>
              {organizationName}
            </Text>
          </Section>
          <Section style={{ padding: '24px', backgroundColor: colors.card, border: `1px solid ${colors.line}`, borderTop: 0 }}>
            {children}
          </Section>
          {footer ? (
            <Section style={{ padding: '16px 24px 0', backgroundColor: colors.paper }}>
              <Text style={{ ...styles.small, margin: 0, fontSize: '13px', lineHeight: '20px' }}>{footer}</Text>
            </Section>
          ) : null}
          <LegalFooter />
        </Container>
      </Body>
    </Html>
  )
}

export function Greeting({ t, firstName }: { t: EmailT; firstName: string }) {
  const name = firstName.trim()
  return (
    <Text style={styles.text}>
      {name ? translate(t, 'common.greeting', { firstName: name }) : translate(t, 'common.greetingNoName')}
    </Text>
  )
}

export function SignOff({ t, organizationName }: { t: EmailT; organizationName: string }) {
  return (
    <Text style={{ ...styles.text, margin: '24px 0 0' }}>
      {translate(t, 'common.signOff')}
      <br />
      {translate(t, 'common.team', { organization: organizationName })}
    </Text>
  )
}
