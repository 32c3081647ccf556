import { render } from '@react-email/render'
import type { EmailMessage } from '#db/schema.ts'
import AlreadySignedEmail, { subject as alreadySignedSubject } from '#emails/already-signed.tsx'
import ConfirmSignatureEmail, { subject as confirmSubject } from '#emails/confirm-signature.tsx'
import { getEnv } from './env.server.ts'
import { getI18n } from './i18n.server.ts'
import { signatureToken } from './tokens.server.ts'

export type RenderedEmail = { subject: string; html: string; text: string; links: string[] }

type Props = Record<string, unknown>
const str = (props: Props, key: string) => String(props[key] ?? '')

/**
 * Turn an outbox row into the email its recipient reads, in their language. Links are
 * built here from the stored seed and the server secret (see signatures.server.ts).
 */
export async function renderEmail(message: Pick<EmailMessage, 'template' | 'locale' | 'props'>): Promise<RenderedEmail> {
  const base = getEnv().publicUrl
  const t = getI18n(message.locale).getFixedT(message.locale, 'emails')
  const common = { t: (key: string, options?: Record<string, unknown>) => t(key, options ?? {}) as string, lang: message.locale }
  const props = message.props
  let subject: string
  let element: React.ReactElement
  let links: string[]
  switch (message.template) {
    case 'confirm-signature': {
      const token = signatureToken(str(props, 'tokenSeed'))
      const confirmUrl = `${base}/confirm/${token}`
      const discardUrl = `${base}/confirm/${token}?not-me`
      const values = {
        ...common,
        firstName: str(props, 'firstName'),
        campaignTitle: str(props, 'campaignTitle'),
        organizationName: str(props, 'organizationName'),
        petitionText: str(props, 'petitionText'),
        confirmUrl,
        discardUrl,
      }
      subject = confirmSubject(values)
      element = <ConfirmSignatureEmail {...values} />
      links = [confirmUrl, discardUrl]
      break
    }
    case 'already-signed': {
      const campaignUrl = `${base}/c/${str(props, 'campaignSlug')}`
      const values = {
        ...common,
        firstName: str(props, 'firstName'),
        campaignTitle: str(props, 'campaignTitle'),
        organizationName: str(props, 'organizationName'),
        campaignUrl,
      }
      subject = alreadySignedSubject(values)
      element = <AlreadySignedEmail {...values} />
      links = [campaignUrl]
      break
    }
    default:
      throw new Error(`unknown email template "${message.template}"`)
  }
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
  return { subject, html, text, links }
}
