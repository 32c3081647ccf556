import type { Handle } from '#db/client.server.ts'
import { getCampaignRole, listCampaignRoles, type SessionOrganizer } from '~/models/organizers.server.ts'
import { getOutboxMessage, type OutboxMessage } from '~/models/outbox.server.ts'
import { maskEmailForOrganisers } from '~/utils/email.ts'
import { escapeHtml } from '~/utils/html.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { renderEmail, type RenderedEmail } from './email-templates.server.tsx'
import { getEnv } from '~/utils/config.server.ts'

/**
 * The outbox as organisers read it (ADR 011). The emails in it carry links that act for their
 * recipient: confirm or discard a pending signature, unsubscribe, change preferences, manage a
 * monthly gift, set a new organiser's password. Only the recipient may use them, so the back
 * office never shows them working,
 * except to owners in demo mode, where every email is captured and following its links is how
 * the demo is tried. Addresses are shown to owners only; everyone else gets them masked.
 */

/** Paths whose last segment is a token that acts for the recipient. */
const TOKEN_PATHS = ['/confirm/', '/unsubscribe/', '/preferences/', '/donations/manage/', '/admin/set-password/', '/me/open/']
export const LINK_REMOVED_HREF = '#link-removed'

/** Which campaigns' emails an organiser may read: all for owners, else those they are at least editor of. */
export async function outboxCampaignsOf(db: Handle, organizer: SessionOrganizer): Promise<number[] | undefined> {
  if (organizer.role === 'owner') return undefined
  return (await listCampaignRoles(db, { organizerId: organizer.id })).filter((m) => roleAtLeast(m.role, 'editor')).map((m) => m.campaignId)
}

/**
 * One outbox email the organiser may read. Like a campaign route: a 404 for an email that does
 * not exist or belongs to a campaign they have no role on, a 403 if their role there is viewer.
 */
export async function requireOutboxMessage(db: Handle, organizer: SessionOrganizer, idParam: string | undefined): Promise<OutboxMessage> {
  const id = Number(idParam)
  const message = Number.isSafeInteger(id) && id > 0 ? await getOutboxMessage(db, { id }) : null
  const role = !message ? null : organizer.role === 'owner' ? 'owner' : message.campaignId === null ? null : await getCampaignRole(db, { organizerId: organizer.id, campaignId: message.campaignId })
  if (!message || !role) throw new Response('Not found', { status: 404, statusText: 'Not Found' })
  if (!roleAtLeast(role, 'editor')) throw new Response('Your role on this campaign does not allow this.', { status: 403, statusText: 'Forbidden' })
  return message
}

/** Whether this organiser sees the links of outbox emails working: owners, in demo mode only. */
export function showsLiveLinks(organizer: SessionOrganizer) {
  return organizer.role === 'owner' && getEnv().mode === 'demo'
}

/** The recipient's address as this organiser may see it. An organiser's own address (a test send) is theirs to see. */
export function recipientFor(organizer: SessionOrganizer, toEmail: string) {
  if (!toEmail) return ''
  if (organizer.role === 'owner' || toEmail.trim().toLowerCase() === organizer.email) return toEmail
  return maskEmailForOrganisers(toEmail)
}

function isTokenLink(href: string) {
  try {
    const { pathname } = new URL(href)
    return TOKEN_PATHS.some((prefix) => pathname.startsWith(prefix))
  } catch {
    return false
  }
}

export type OutboxLink = { href: string; removed: false } | { href: null; removed: true; kind: string }

/**
 * The email with every link that acts for its recipient replaced by an inert placeholder:
 * `#link-removed` in the HTML, `textPlaceholder` in the text part and headers. The tokens
 * themselves are removed too, wherever else they might appear.
 */
export function withoutTokenLinks(email: RenderedEmail, textPlaceholder: string): Omit<RenderedEmail, 'links'> & { links: OutboxLink[] } {
  const removed = email.links.filter(isTokenLink).sort((a, b) => b.length - a.length)
  const tokens = removed.map((href) => new URL(href).pathname.split('/').pop() ?? '').filter((token) => token.length >= 16)
  const scrub = (value: string, placeholder: string, html: boolean) => {
    let out = value
    for (const href of removed) {
      out = out.replaceAll(href, placeholder)
      if (html) out = out.replaceAll(escapeHtml(href), placeholder)
    }
    for (const token of tokens) out = out.replaceAll(token, 'link-removed')
    return out
  }
  return {
    subject: email.subject,
    html: scrub(email.html, LINK_REMOVED_HREF, true),
    text: scrub(email.text, textPlaceholder, false),
    headers: email.headers ? Object.fromEntries(Object.entries(email.headers).map(([name, value]) => [name, scrub(value, textPlaceholder, false)])) : undefined,
    links: email.links.map((href): OutboxLink => (isTokenLink(href) ? { href: null, removed: true, kind: new URL(href).pathname.split('/').slice(1, -1).join('/') } : { href, removed: false })),
  }
}

/** An outbox email rendered for this organiser: links working only where showsLiveLinks says so. */
export async function renderOutboxMessage(db: Handle, organizer: SessionOrganizer, message: OutboxMessage, textPlaceholder: string) {
  const email = await renderEmail(db, message)
  if (showsLiveLinks(organizer)) return { ...email, links: email.links.map((href): OutboxLink => ({ href, removed: false })) }
  return withoutTokenLinks(email, textPlaceholder)
}
