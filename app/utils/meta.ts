import type { MetaDescriptor } from '@remix-run/node'
import { LANGUAGE_PARAM } from './i18n.ts'

// Open Graph wants territory-qualified locales.
const OG_LOCALES: Record<string, string> = { en: 'en_US', de: 'de_DE', es: 'es_ES' }

/**
 * A page's own URL in one language (`?lng=`, ADR 002): what that language's version names as
 * canonical, so each version is indexed as itself beside the hreflang alternates (root.tsx).
 */
export function languageUrl(url: string, locale: string) {
  const own = new URL(url)
  own.search = ''
  own.searchParams.set(LANGUAGE_PARAM, locale)
  return own.toString()
}

/**
 * The page's canonical URL: its own language's URL when the address names one, else the bare
 * URL itself (the x-default, which shows the visitor's negotiated language). Naming another
 * language's URL from the bare one would make two hreflang alternates claim each other.
 */
export function canonicalUrl({ url, locale, search }: { url: string; locale: string; search: string }) {
  return new URLSearchParams(search).has(LANGUAGE_PARAM) ? languageUrl(url, locale) : url
}

/** The canonical link and description of a page that belongs to a campaign (donate, thanks, embed). */
export function pageMeta({ description, canonical }: { description: string; canonical: string }): MetaDescriptor[] {
  return [
    { name: 'description', content: description },
    { tagName: 'link', rel: 'canonical', href: canonical },
  ]
}

/** Title, description and the Open Graph / Twitter card tags that link previews read. */
export function socialMeta({
  title,
  description,
  url,
  image,
  imageAlt,
  card,
  locale,
  search = '',
  siteName = 'Vigil',
}: {
  title: string
  description: string
  url: string
  image?: string | null
  imageAlt?: string
  /** The campaign's share card: preferred over `image` when given. */
  card?: ShareCardMeta | null
  locale: string
  /** The request's query string: whether the address names a language decides the canonical. */
  search?: string
  siteName?: string
}): MetaDescriptor[] {
  const own = canonicalUrl({ url, locale, search })
  const tags: MetaDescriptor[] = [
    { title },
    { name: 'description', content: description },
    { property: 'og:type', content: 'website' },
    { property: 'og:site_name', content: siteName },
    { property: 'og:title', content: title },
    { property: 'og:description', content: description },
    { property: 'og:url', content: url },
    { property: 'og:locale', content: OG_LOCALES[locale] ?? locale },
    ...(card ? [] : [{ name: 'twitter:card', content: image ? 'summary_large_image' : 'summary' }]),
    { name: 'twitter:title', content: title },
    { name: 'twitter:description', content: description },
    { tagName: 'link', rel: 'canonical', href: own },
  ]
  if (card) tags.push(...shareCardTags(card))
  else if (image) {
    tags.push(
      { property: 'og:image', content: image },
      { property: 'og:image:alt', content: imageAlt ?? '' },
      { name: 'twitter:image', content: image },
      { name: 'twitter:image:alt', content: imageAlt ?? '' },
    )
  }
  return tags
}

/** A campaign's share card (app/workflows/share-card-meta.server.ts): an absolute URL, its size and alt text. */
export type ShareCardMeta = { url: string; width: number; height: number; alt: string }

/** The link-preview image tags for a share card; pages without socialMeta (donate, thanks) add just these. */
export function shareCardTags(card: ShareCardMeta | null | undefined): MetaDescriptor[] {
  if (!card) return []
  return [
    { property: 'og:image', content: card.url },
    { property: 'og:image:type', content: 'image/png' },
    { property: 'og:image:width', content: String(card.width) },
    { property: 'og:image:height', content: String(card.height) },
    { property: 'og:image:alt', content: card.alt },
    { name: 'twitter:card', content: 'summary_large_image' },
    { name: 'twitter:image', content: card.url },
    { name: 'twitter:image:alt', content: card.alt },
  ]
}
