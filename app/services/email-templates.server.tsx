import { render } from '@react-email/render'
import { z } from 'zod'
import type { EmailMessage } from '#db/schema.ts'
import CampaignUpdateEmail, { subject as campaignUpdateSubject } from '#emails/campaign-update.tsx'
import AlreadySignedEmail, { subject as alreadySignedSubject } from '#emails/already-signed.tsx'
import ConfirmSignatureEmail, { subject as confirmSubject } from '#emails/confirm-signature.tsx'
import DonationReceiptEmail, { subject as donationReceiptSubject } from '#emails/donation-receipt.tsx'
import { getEnv } from './env.server.ts'
import { getI18n } from './i18n.server.ts'
import { getUpdateForEmail } from '~/models/update-sends.server.ts'
import { renderMarkdown } from './markdown.server.ts'
import { donationManageToken, preferencesToken, signatureToken, unsubscribeToken } from './tokens.server.ts'

export type RenderedEmail = { subject: string; html: string; text: string; links: string[]; headers?: Record<string, string> }

// Rendering react-email costs milliseconds; signing can queue hundreds of emails a second.
// A template is rendered once per campaign text and language with placeholders for what
// differs per recipient (name, token), which are then filled in, HTML-escaped where needed.
const NAME = 'VIGILPLACEHOLDERNAME'
const TOKEN = 'VIGILPLACEHOLDERTOKEN'
const UNSUBSCRIBE = 'VIGILPLACEHOLDERUNSUBSCRIBE'
const PREFERENCES = 'VIGILPLACEHOLDERPREFERENCES'
const rendered = new Map<string, Promise<{ subject: string; html: string; text: string }>>()
const RENDER_CACHE_SIZE = 200

function escapeHtml(value: string) {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]!)
}

function renderOnce(key: string, element: () => React.ReactElement, subject: string) {
  let pending = rendered.get(key)
  if (!pending) {
    const el = element()
    pending = Promise.all([render(el), render(el, { plainText: true })]).then(([html, text]) => ({ subject, html, text }))
    pending.catch(() => rendered.delete(key))
    if (rendered.size >= RENDER_CACHE_SIZE) rendered.delete(rendered.keys().next().value!)
    rendered.set(key, pending)
  }
  return pending
}

function fill(template: { subject: string; html: string; text: string }, values: { name: string; token?: string }) {
  const apply = (s: string, name: string) => {
    const withName = s.replaceAll(NAME, name)
    return values.token === undefined ? withName : withName.replaceAll(TOKEN, values.token)
  }
  return { subject: apply(template.subject, values.name), html: apply(template.html, escapeHtml(values.name)), text: apply(template.text, values.name) }
}

type Props = Record<string, unknown>
const str = (props: Props, key: string) => String(props[key] ?? '')

const id = z.number().int().positive()
const minor = z.number().int().nonnegative()
// A receipt states amounts and dates to the donor: a row that does not hold exactly these is marked
// failed by the sender, with the reason, rather than go out with a wrong or empty figure.
const donationReceiptProps = z
  .object({
    donationId: id,
    firstName: z.string().nullable(),
    amountMinor: minor,
    giftMinor: minor,
    currency: z.string().regex(/^[A-Z]{3}$/),
    interval: z.enum(['one_time', 'monthly']),
    paidAt: z.number().int().positive(),
    fundTitle: z.string(),
    campaignTitle: z.string(),
    campaignSlug: z.string().min(1),
    organizationName: z.string(),
    organizationAddress: z.string(),
    manageDonationId: id.nullable(),
  })
  .refine((p) => p.giftMinor <= p.amountMinor, 'the gift is more than was charged')
  .refine((p) => (p.interval === 'monthly') === (p.manageDonationId !== null), 'a manage link belongs to monthly gifts, and every monthly gift has one')

/** What the outbox row of a donation receipt holds (JSON). */
export type DonationReceiptMessageProps = z.input<typeof donationReceiptProps>

/** What every template gets: the recipient's language and its translations. */
type Common = { t: (key: string, options?: Record<string, unknown>) => string; lang: EmailMessage['locale'] }

// A send renders the same update for a hundred recipients a batch. Everything but each
// recipient's two links is prepared once a second at most: the text read, the email rendered
// (once per text and language, see renderOnce) and cut at the two links, so that each email
// only joins the pieces with its own (searching 6 kB of HTML per recipient cost more than the
// rest of the send).
type PreparedUpdate = { campaignId: number; campaignUrl: string; subject: string; html: string[][]; text: string[][] }
const UPDATE_TTL_MS = 1000
const preparedUpdates = new Map<string, { at: number; prepared: Promise<PreparedUpdate | null> }>()

function preparedUpdate(updateId: number, locale: EmailMessage['locale'], base: string, common: Common) {
  const key = `${updateId}:${locale}:${base}`
  const now = Date.now()
  const cached = preparedUpdates.get(key)
  if (cached && now - cached.at < UPDATE_TTL_MS) return cached.prepared
  if (preparedUpdates.size >= 100) preparedUpdates.clear()
  const prepared = prepareUpdate(updateId, locale, base, common)
  prepared.catch(() => preparedUpdates.delete(key))
  preparedUpdates.set(key, { at: now, prepared })
  return prepared
}

async function prepareUpdate(updateId: number, locale: EmailMessage['locale'], base: string, common: Common): Promise<PreparedUpdate | null> {
  const update = await getUpdateForEmail({ updateId, locale })
  if (!update) return null
  const campaignUrl = `${base}/c/${update.campaignSlug}`
  const unsubscribePlaceholder = `${base}/unsubscribe/${UNSUBSCRIBE}`
  const preferencesPlaceholder = `${base}/preferences/${PREFERENCES}`
  const values = {
    ...common,
    title: update.title,
    bodyHtml: renderMarkdown(update.bodyMd),
    image: update.imagePath ? { url: `${base}${update.imagePath}`, alt: update.imageAlt } : null,
    campaignTitle: update.campaignTitle,
    campaignUrl,
    organizationName: update.organizationName,
    unsubscribeUrl: unsubscribePlaceholder,
    preferencesUrl: preferencesPlaceholder,
  }
  const template = await renderOnce(
    JSON.stringify(['campaign-update', locale, base, updateId, update.title, update.bodyMd, update.imagePath, update.imageAlt, update.campaignTitle, update.organizationName]),
    () => <CampaignUpdateEmail {...values} />,
    campaignUpdateSubject(values),
  )
  const cut = (rendered: string) => rendered.split(unsubscribePlaceholder).map((part) => part.split(preferencesPlaceholder))
  return { campaignId: update.campaignId, campaignUrl, subject: template.subject, html: cut(template.html), text: cut(template.text) }
}

/**
 * Turn an outbox row into the email its recipient reads, in their language. Links are
 * built here from the stored seed and the server secret (see signatures.server.ts).
 */
export async function renderEmail(message: Pick<EmailMessage, 'template' | 'locale' | 'props'>): Promise<RenderedEmail> {
  const base = getEnv().publicUrl
  const t = getI18n(message.locale).getFixedT(message.locale, 'emails')
  const common: Common = { t: (key: string, options?: Record<string, unknown>) => t(key, options ?? {}) as string, lang: message.locale }
  const props = message.props
  const name = str(props, 'firstName').trim()
  const shared = {
    ...common,
    firstName: NAME,
    campaignTitle: str(props, 'campaignTitle'),
    organizationName: str(props, 'organizationName'),
  }
  const cacheKey = (extra: unknown) => JSON.stringify([message.template, message.locale, base, shared.campaignTitle, shared.organizationName, extra])
  switch (message.template) {
    case 'confirm-signature': {
      const token = signatureToken(str(props, 'tokenSeed'))
      const petitionText = str(props, 'petitionText')
      const values = { ...shared, petitionText, confirmUrl: `${base}/confirm/${TOKEN}`, discardUrl: `${base}/confirm/${TOKEN}?not-me` }
      const template = await renderOnce(cacheKey(petitionText), () => <ConfirmSignatureEmail {...values} />, confirmSubject(values))
      return { ...fill(template, { name, token }), links: [`${base}/confirm/${token}`, `${base}/confirm/${token}?not-me`] }
    }
    case 'already-signed': {
      const campaignUrl = `${base}/c/${str(props, 'campaignSlug')}`
      const values = { ...shared, campaignUrl }
      const template = await renderOnce(cacheKey(campaignUrl), () => <AlreadySignedEmail {...values} />, alreadySignedSubject(values))
      return { ...fill(template, { name }), links: [campaignUrl] }
    }
    case 'campaign-update': {
      const updateId = Number(props.updateId)
      const supporterId = Number(props.supporterId)
      const update = await preparedUpdate(updateId, message.locale, base, common)
      if (!update) throw new Error(`update ${updateId} has no text to send`)
      // A preview or an organiser's test has no supporter: its links are stand-ins that change no one's consent.
      const recipient = Number.isSafeInteger(supporterId) && supporterId > 0
      const unsubscribeUrl = `${base}/unsubscribe/${recipient ? unsubscribeToken(supporterId, update.campaignId) : 'test'}`
      const preferencesUrl = `${base}/preferences/${recipient ? preferencesToken(supporterId) : 'test'}`
      const own = (cut: string[][]) => cut.map((part) => part.join(preferencesUrl)).join(unsubscribeUrl)
      return {
        subject: props.test === true ? `[Test] ${update.subject}` : update.subject,
        html: own(update.html),
        text: own(update.text),
        links: [update.campaignUrl, unsubscribeUrl, preferencesUrl],
        // One-click unsubscribe (RFC 8058): mail programs POST to the link without opening it.
        headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      }
    }
    case 'donation-receipt': {
      // Few enough to render one by one: the render cache and its placeholders are for signing's bursts.
      const { campaignSlug, manageDonationId, firstName, ...receipt } = donationReceiptProps.parse(props)
      const campaignUrl = `${base}/c/${encodeURIComponent(campaignSlug)}`
      const manageUrl = manageDonationId === null ? null : `${base}/donations/manage/${donationManageToken(manageDonationId)}`
      const values = { ...common, ...receipt, firstName: firstName ?? '', campaignUrl, manageUrl }
      const element = <DonationReceiptEmail {...values} />
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: donationReceiptSubject(values), html, text, links: manageUrl ? [campaignUrl, manageUrl] : [campaignUrl] }
    }
    default:
      throw new Error(`unknown email template "${message.template}"`)
  }
}

/**
 * An email's HTML for a frame in the back office (outbox, update previews). Email HTML relies
 * on inline styles, so it gets its own policy: no scripts, no requests anywhere, framable only
 * by our own pages; its links open in a new tab rather than inside the frame.
 */
export function emailFrameResponse(html: string) {
  return new Response(html.replace(/<head>/i, '<head><base target="_blank">'), {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
      'X-Frame-Options': 'SAMEORIGIN',
      'Cache-Control': 'no-store',
    },
  })
}
