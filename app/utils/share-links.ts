/**
 * Share links: plain URLs of each network's own share page, nothing loaded from them. Each
 * carries the campaign URL with its own source tag (`?s=wa`…). Every value is percent-encoded
 * as UTF-8 (encodeURIComponent), so umlauts, ñ, &, #, + and emoji reach the network intact.
 */
import type { Language } from './i18n.ts'
import { SOURCE_PARAM, type BuiltInSource } from './sources.ts'

/** What a share block needs: the campaign's public URL (without a tag), its title and the text to prefill, in `lang`. */
export type ShareData = { url: string; slug: string; title: string; text: string; lang: Language }

/** The networks that are a plain link (Mastodon needs the visitor's instance first). */
export const SHARE_NETWORKS = ['wa', 'tg', 'bsky', 'x', 'fb', 'li', 'mail'] as const
export type ShareNetwork = (typeof SHARE_NETWORKS)[number] | 'masto'

// RFC 3986 strict: also ! ' ( ) *, so a link survives any quoting (a meta refresh, a mail client).
const enc = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** `url` with the source tag set (replacing any it had). */
export function shareUrl(url: string, tag: BuiltInSource | string) {
  const u = new URL(url)
  u.searchParams.set(SOURCE_PARAM, tag)
  return u.toString()
}

/** Mastodon's share page on `instance` (a host checked by mastodonInstance). */
export function mastodonShareHref({ instance, url, text }: { instance: string; url: string; text: string }) {
  return `https://${instance}/share?text=${enc(`${text} ${shareUrl(url, 'masto')}`)}`
}

export function shareLinks({ url, title, text, mastodon }: { url: string; title: string; text: string; mastodon?: string }) {
  const tagged = (tag: BuiltInSource) => enc(shareUrl(url, tag))
  const withUrl = (tag: BuiltInSource) => enc(`${text} ${shareUrl(url, tag)}`)
  const links: { network: ShareNetwork; href: string }[] = [
    { network: 'wa', href: `https://wa.me/?text=${withUrl('wa')}` },
    { network: 'tg', href: `https://t.me/share/url?url=${tagged('tg')}&text=${enc(text)}` },
    { network: 'bsky', href: `https://bsky.app/intent/compose?text=${withUrl('bsky')}` },
    { network: 'x', href: `https://x.com/intent/tweet?text=${enc(text)}&url=${tagged('x')}` },
    { network: 'fb', href: `https://www.facebook.com/sharer/sharer.php?u=${tagged('fb')}` },
    { network: 'li', href: `https://www.linkedin.com/sharing/share-offsite/?url=${tagged('li')}` },
    // RFC 6068: line breaks in a body are CRLF.
    { network: 'mail', href: `mailto:?subject=${enc(title)}&body=${enc(`${text}\n\n${shareUrl(url, 'mail')}`.replace(/\r?\n/g, '\r\n'))}` },
  ]
  if (mastodon) links.push({ network: 'masto', href: mastodonShareHref({ instance: mastodon, url, text }) })
  return links
}

// A public DNS name: labels of letters, digits and inner hyphens, a top-level label that is not a number.
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/

/**
 * The Mastodon instance a visitor typed, as a bare host name (`mastodon.social`), accepting
 * `https://…/` and `@name@host`; null for anything else (ports, paths, IP addresses, schemes),
 * so the redirect built from it can only go to `https://<host>/share`.
 */
export function mastodonInstance(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 300) return null
  let value = input.trim().toLowerCase().replace(/^https:\/\//, '')
  if (value.startsWith('@')) value = value.slice(value.lastIndexOf('@') + 1)
  value = value.replace(/\/$/, '')
  if (!value || /[\s/\\:@?#[\]%]/.test(value)) return null
  let host: string
  try {
    host = new URL(`https://${value}`).hostname
  } catch {
    return null
  }
  return host.length <= 253 && HOST.test(host) ? host : null
}
