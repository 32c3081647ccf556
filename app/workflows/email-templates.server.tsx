import crypto from 'node:crypto'
import { render } from '@react-email/render'
import { z } from 'zod'
import type { Handle } from '#db/client.server.ts'
import type { EmailMessage } from '#db/schema.ts'
import CampaignUpdateEmail, { subject as campaignUpdateSubject } from '#emails/campaign-update.tsx'
import AlreadySignedEmail, { subject as alreadySignedSubject } from '#emails/already-signed.tsx'
import ConfirmReminderEmail, { subject as confirmReminderSubject } from '#emails/confirm-reminder.tsx'
import ConfirmSignatureEmail, { subject as confirmSubject } from '#emails/confirm-signature.tsx'
import DonationFailedEmail, { subject as donationFailedSubject } from '#emails/donation-failed.tsx'
import DonationReceiptEmail, { subject as donationReceiptSubject } from '#emails/donation-receipt.tsx'
import { LegalLinksContext, type LegalLinks } from '#emails/layout.tsx'
import OrganizerInviteEmail, { subject as organizerInviteSubject } from '#emails/organizer-invite.tsx'
import OrganizerNewDeviceEmail, { subject as organizerNewDeviceSubject } from '#emails/organizer-new-device.tsx'
import MyDataLinkEmail, { subject as myDataLinkSubject } from '#emails/my-data-link.tsx'
import MilestoneTargetEmail, { subject as milestoneTargetSubject } from '#emails/milestone-target.tsx'
import MilestoneTeamEmail, { subject as milestoneTeamSubject } from '#emails/milestone-team.tsx'
import { getEnv } from '~/utils/config.server.ts'
import { getI18n } from '~/utils/i18n.server.ts'
import { getUpdateForEmail } from '~/models/update-sends.server.ts'
import { escapeHtml } from '~/utils/html.ts'
import { renderMarkdown } from '~/utils/markdown.server.ts'
import { donationManageToken, myDataLinkToken, organizerInviteToken, packetToken, preferencesToken, signatureToken, unsubscribeToken } from '~/utils/tokens.server.ts'

export type RenderedEmail = { subject: string; html: string; text: string; links: string[]; headers?: Record<string, string> }

// Rendering react-email costs milliseconds; signing can queue hundreds of emails a second.
// A template is rendered once per campaign text and language with markers where each
// recipient's values go (name, token, their two update links), cut at those markers once,
// and then filled by position: each email only joins the pieces with its own values.
// The markers are random and new for every render, so nothing a signer types or an
// organiser writes can stand for one (a first name of a fixed marker once came out as the
// confirmation token); and filling never searches the values it puts in.
type Slot = 'name' | 'token' | 'unsubscribe' | 'preferences'
type Markers = Record<Slot, string>
/** A rendered string cut at its markers: pieces[0] slots[0] pieces[1] … slots[n-1] pieces[n]. */
type Cut = { pieces: string[]; slots: Slot[] }
type Template = { subject: Cut; html: Cut; text: Cut }
type Values = Partial<Record<Slot, string>>

const SLOTS: Slot[] = ['name', 'token', 'unsubscribe', 'preferences']
const rendered = new Map<string, Promise<Template>>()
const RENDER_CACHE_SIZE = 200

// Upper case letters and digits: they pass through HTML, attributes, URLs and the plain-text
// conversion unchanged (which may upper-case headings).
function newMarkers(): Markers {
  const marker = () => `VIGIL${crypto.randomBytes(16).toString('hex').toUpperCase()}`
  return { name: marker(), token: marker(), unsubscribe: marker(), preferences: marker() }
}

function cutAt(rendered: string, markers: Markers): Cut {
  const bySlot = new Map(SLOTS.map((slot) => [markers[slot], slot]))
  const parts = rendered.split(new RegExp(`(${SLOTS.map((slot) => markers[slot]).join('|')})`))
  return { pieces: parts.filter((_, i) => i % 2 === 0), slots: parts.filter((_, i) => i % 2 === 1).map((marker) => bySlot.get(marker)!) }
}

function join(cut: Cut, values: Values) {
  let out = cut.pieces[0]!
  for (let i = 0; i < cut.slots.length; i++) out += (values[cut.slots[i]!] ?? '') + cut.pieces[i + 1]!
  return out
}

function renderOnce(key: string, build: (markers: Markers) => { element: React.ReactElement; subject: string }) {
  let pending = rendered.get(key)
  if (!pending) {
    const markers = newMarkers()
    const { element, subject } = build(markers)
    pending = Promise.all([render(element), render(element, { plainText: true })]).then(([html, text]) => ({
      subject: cutAt(subject, markers),
      html: cutAt(html, markers),
      text: cutAt(text, markers),
    }))
    pending.catch(() => rendered.delete(key))
    if (rendered.size >= RENDER_CACHE_SIZE) rendered.delete(rendered.keys().next().value!)
    rendered.set(key, pending)
  }
  return pending
}

/** One recipient's email: the name HTML-escaped in the HTML; tokens are URL-safe as they are. */
function fill(template: Template, values: Values & { name: string }) {
  return {
    subject: join(template.subject, values),
    html: join(template.html, { ...values, name: escapeHtml(values.name) }),
    text: join(template.text, values),
  }
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
    // Receipts queued before numbering was gapless carry none: their number was the donation's id.
    receiptNumber: id.nullish(),
    // Where the payment details went, when the paying event told us (null: say it neutrally).
    paidBy: z.enum(['card', 'debit']).nullish(),
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

const donationFailedProps = z.object({
  firstName: z.string().nullable(),
  amountMinor: minor,
  currency: z.string().regex(/^[A-Z]{3}$/),
  campaignTitle: z.string(),
  campaignSlug: z.string().min(1),
  organizationName: z.string(),
})

// Milestone emails (issue 17): queued in the confirming transaction by app/models/milestones.server.ts.
const count = z.number().int().nonnegative()
const milestoneTeamProps = z.object({
  campaignTitle: z.string(),
  organizationName: z.string(),
  threshold: id,
  count,
  happens: z.string(),
  draftUpdateId: id,
  campaignId: id,
})
const milestoneTargetProps = z.object({
  targetName: z.string(),
  campaignTitle: z.string(),
  organizationName: z.string(),
  count,
  threshold: id,
  campaignId: id,
  campaignSlug: z.string().min(1),
  petitionText: z.string(),
})

/** What the outbox row of a donation receipt holds (JSON). */
export type DonationReceiptMessageProps = z.input<typeof donationReceiptProps>

/** What every template gets: the recipient's language and its translations. */
type Common = { t: (key: string, options?: Record<string, unknown>) => string; lang: EmailMessage['locale'] }

/** Every email's footer links to the instance's privacy policy and imprint, in the recipient's language. */
export function withLegalLinks(element: React.ReactElement, common: Common, base: string) {
  const legal: LegalLinks = {
    privacy: { url: `${base}/privacy?lng=${common.lang}`, label: common.t('common.privacyLink') },
    imprint: { url: `${base}/imprint?lng=${common.lang}`, label: common.t('common.imprintLink') },
    myData: { url: `${base}/me?lng=${common.lang}`, label: common.t('me.footerLink') },
  }
  return <LegalLinksContext.Provider value={legal}>{element}</LegalLinksContext.Provider>
}

// A send renders the same update for a hundred recipients a batch. Everything but each
// recipient's two links is prepared once a second at most: the text read and the email
// rendered (once per text and language, see renderOnce) and cut at the two links' markers, so
// that each email only joins the pieces with its own (searching 6 kB of HTML per recipient
// cost more than the rest of the send).
type PreparedUpdate = { campaignId: number; campaignUrl: string; template: Template }
const UPDATE_TTL_MS = 1000
const preparedUpdates = new Map<string, { at: number; prepared: Promise<PreparedUpdate | null> }>()

function preparedUpdate(db: Handle, updateId: number, locale: EmailMessage['locale'], base: string, common: Common) {
  const key = `${updateId}:${locale}:${base}`
  const now = Date.now()
  const cached = preparedUpdates.get(key)
  if (cached && now - cached.at < UPDATE_TTL_MS) return cached.prepared
  if (preparedUpdates.size >= 100) preparedUpdates.clear()
  const prepared = prepareUpdate(db, updateId, locale, base, common)
  prepared.catch(() => preparedUpdates.delete(key))
  preparedUpdates.set(key, { at: now, prepared })
  return prepared
}

async function prepareUpdate(db: Handle, updateId: number, locale: EmailMessage['locale'], base: string, common: Common): Promise<PreparedUpdate | null> {
  const update = await getUpdateForEmail(db, { updateId, locale })
  if (!update) return null
  // The target's answer is shown above the timeline, at #response (issue 17), not in it.
  const campaignUrl = `${base}/c/${update.campaignSlug}${update.kind === 'response' ? '#response' : ''}`
  const template = await renderOnce(
    JSON.stringify(['campaign-update', locale, base, updateId, update.title, update.bodyMd, update.imagePath, update.imageAlt, update.campaignTitle, update.organizationName]),
    (markers) => {
      const values = {
        ...common,
        title: update.title,
        bodyHtml: renderMarkdown(update.bodyMd),
        image: update.imagePath ? { url: `${base}${update.imagePath}`, alt: update.imageAlt } : null,
        campaignTitle: update.campaignTitle,
        campaignUrl,
        organizationName: update.organizationName,
        unsubscribeUrl: `${base}/unsubscribe/${markers.unsubscribe}`,
        preferencesUrl: `${base}/preferences/${markers.preferences}`,
      }
      return { element: withLegalLinks(<CampaignUpdateEmail {...values} />, common, base), subject: campaignUpdateSubject(values) }
    },
  )
  return { campaignId: update.campaignId, campaignUrl, template }
}

/**
 * Turn an outbox row into the email its recipient reads, in their language. Links are
 * built here from the stored seed and the server secret (see signatures.server.ts).
 */
export async function renderEmail(db: Handle, message: Pick<EmailMessage, 'template' | 'locale' | 'props'>): Promise<RenderedEmail> {
  const base = getEnv().publicUrl
  const t = getI18n(message.locale).getFixedT(message.locale, 'emails')
  const common: Common = { t: (key: string, options?: Record<string, unknown>) => t(key, options ?? {}) as string, lang: message.locale }
  const props = message.props
  const name = str(props, 'firstName').trim()
  const shared = {
    ...common,
    campaignTitle: str(props, 'campaignTitle'),
    organizationName: str(props, 'organizationName'),
  }
  // No name renders another greeting, so it is a template of its own.
  const firstName = (markers: Markers) => (name === '' ? '' : markers.name)
  const cacheKey = (extra: unknown) => JSON.stringify([message.template, message.locale, base, shared.campaignTitle, shared.organizationName, name === '', extra])
  switch (message.template) {
    case 'confirm-signature': {
      const token = signatureToken(str(props, 'tokenSeed'))
      const petitionText = str(props, 'petitionText')
      const template = await renderOnce(cacheKey(petitionText), (markers) => {
        const confirmUrl = `${base}/confirm/${markers.token}`
        const values = { ...shared, firstName: firstName(markers), petitionText, confirmUrl, discardUrl: `${confirmUrl}?not-me` }
        return { element: withLegalLinks(<ConfirmSignatureEmail {...values} />, common, base), subject: confirmSubject(values) }
      })
      return { ...fill(template, { name, token }), links: [`${base}/confirm/${token}`, `${base}/confirm/${token}?not-me`] }
    }
    case 'confirm-reminder': {
      // The seed of the signer's latest confirmation email: the same link, still valid (reminders.server.ts).
      const token = signatureToken(str(props, 'tokenSeed'))
      const template = await renderOnce(cacheKey(null), (markers) => {
        const confirmUrl = `${base}/confirm/${markers.token}`
        const values = { ...shared, firstName: firstName(markers), confirmUrl, discardUrl: `${confirmUrl}?not-me` }
        return { element: withLegalLinks(<ConfirmReminderEmail {...values} />, common, base), subject: confirmReminderSubject(values) }
      })
      return { ...fill(template, { name, token }), links: [`${base}/confirm/${token}`, `${base}/confirm/${token}?not-me`] }
    }
    case 'already-signed': {
      const campaignUrl = `${base}/c/${str(props, 'campaignSlug')}`
      const template = await renderOnce(cacheKey(campaignUrl), (markers) => {
        const values = { ...shared, firstName: firstName(markers), campaignUrl }
        return { element: withLegalLinks(<AlreadySignedEmail {...values} />, common, base), subject: alreadySignedSubject(values) }
      })
      return { ...fill(template, { name }), links: [campaignUrl] }
    }
    case 'campaign-update': {
      const updateId = Number(props.updateId)
      const supporterId = Number(props.supporterId)
      const update = await preparedUpdate(db, updateId, message.locale, base, common)
      if (!update) throw new Error(`update ${updateId} has no text to send`)
      // A preview or an organiser's test has no supporter: its links are stand-ins that change no one's consent.
      const recipient = Number.isSafeInteger(supporterId) && supporterId > 0
      const values = {
        unsubscribe: recipient ? unsubscribeToken(supporterId, update.campaignId) : 'test',
        preferences: recipient ? preferencesToken(supporterId) : 'test',
      }
      const unsubscribeUrl = `${base}/unsubscribe/${values.unsubscribe}`
      const preferencesUrl = `${base}/preferences/${values.preferences}`
      const subject = join(update.template.subject, values)
      return {
        subject: props.test === true ? `[Test] ${subject}` : subject,
        html: join(update.template.html, values),
        text: join(update.template.text, values),
        links: [update.campaignUrl, unsubscribeUrl, preferencesUrl],
        // One-click unsubscribe (RFC 8058): mail programs POST to the link without opening it.
        headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      }
    }
    case 'donation-receipt': {
      // Few enough to render one by one: the render cache and its placeholders are for signing's bursts.
      const { campaignSlug, manageDonationId, firstName, receiptNumber, paidBy, ...receipt } = donationReceiptProps.parse(props)
      const campaignUrl = `${base}/c/${encodeURIComponent(campaignSlug)}`
      const manageUrl = manageDonationId === null ? null : `${base}/donations/manage/${donationManageToken(manageDonationId)}`
      const values = { ...common, ...receipt, receiptNumber: receiptNumber ?? receipt.donationId, paidBy: paidBy ?? null, firstName: firstName ?? '', campaignUrl, manageUrl }
      const element = withLegalLinks(<DonationReceiptEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: donationReceiptSubject(values), html, text, links: manageUrl ? [campaignUrl, manageUrl] : [campaignUrl] }
    }
    case 'donation-failed': {
      const { campaignSlug, firstName, ...failed } = donationFailedProps.parse(props)
      const donateUrl = `${base}/c/${encodeURIComponent(campaignSlug)}/donate`
      const values = { ...common, ...failed, firstName: firstName ?? '', donateUrl }
      const element = withLegalLinks(<DonationFailedEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: donationFailedSubject(values), html, text, links: [donateUrl] }
    }
    case 'milestone-team': {
      const { campaignId, draftUpdateId, ...milestone } = milestoneTeamProps.parse(props)
      const draftUrl = `${base}/admin/campaigns/${campaignId}/timeline/${draftUpdateId}`
      const values = { ...common, ...milestone, draftUrl }
      const element = withLegalLinks(<MilestoneTeamEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: milestoneTeamSubject(values), html, text, links: [draftUrl] }
    }
    case 'milestone-target': {
      // The packet's link is derived here, never stored: the outbox row holds only the campaign.
      const { campaignId, campaignSlug, threshold: _threshold, ...milestone } = milestoneTargetProps.parse(props)
      const campaignUrl = `${base}/c/${encodeURIComponent(campaignSlug)}?lng=${message.locale}`
      const packetUrl = `${base}/c/${encodeURIComponent(campaignSlug)}/packet/${packetToken(campaignId)}?lng=${message.locale}`
      const values = { ...common, ...milestone, packetUrl, campaignUrl }
      const element = withLegalLinks(<MilestoneTargetEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: milestoneTargetSubject(values), html, text, links: [packetUrl, campaignUrl] }
    }
    case 'organizer-invite': {
      const setPasswordUrl = `${base}/admin/set-password/${organizerInviteToken(str(props, 'tokenSeed'))}`
      const values = { ...common, name: str(props, 'name'), invitedBy: str(props, 'invitedBy'), organizationName: shared.organizationName, setPasswordUrl, backOfficeUrl: `${base}/admin` }
      const element = withLegalLinks(<OrganizerInviteEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: organizerInviteSubject(values), html, text, links: [setPasswordUrl, values.backOfficeUrl] }
    }
    case 'organizer-new-device': {
      // The sessions page's address is built here, never stored; the row keeps who, what and when.
      const sessionsUrl = `${base}/admin/sessions`
      const values = { ...common, name: str(props, 'name'), device: str(props, 'device'), at: Number(props.at), organizationName: shared.organizationName, sessionsUrl }
      const element = withLegalLinks(<OrganizerNewDeviceEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: organizerNewDeviceSubject(values), html, text, links: [sessionsUrl] }
    }
    case 'my-data-link': {
      const openUrl = `${base}/me/open/${myDataLinkToken(str(props, 'tokenSeed'))}`
      const values = { ...common, organizationName: shared.organizationName, openUrl }
      const element = withLegalLinks(<MyDataLinkEmail {...values} />, common, base)
      const [html, text] = await Promise.all([render(element), render(element, { plainText: true })])
      return { subject: myDataLinkSubject(values), html, text, links: [openUrl] }
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
