import type { MetaDescriptor } from '@remix-run/node'

// Open Graph wants territory-qualified locales.
const OG_LOCALES: Record<string, string> = { en: 'en_US', de: 'de_DE', es: 'es_ES' }

/** Title, description and the Open Graph / Twitter card tags that link previews read. */
export function socialMeta({
  title,
  description,
  url,
  image,
  imageAlt,
  locale,
  siteName = 'Vigil',
}: {
  title: string
  description: string
  url: string
  image?: string | null
  imageAlt?: string
  locale: string
  siteName?: string
}): MetaDescriptor[] {
  const tags: MetaDescriptor[] = [
    { title },
    { name: 'description', content: description },
    { property: 'og:type', content: 'website' },
    { property: 'og:site_name', content: siteName },
    { property: 'og:title', content: title },
    { property: 'og:description', content: description },
    { property: 'og:url', content: url },
    { property: 'og:locale', content: OG_LOCALES[locale] ?? locale },
    { name: 'twitter:card', content: image ? 'summary_large_image' : 'summary' },
    { name: 'twitter:title', content: title },
    { name: 'twitter:description', content: description },
    { tagName: 'link', rel: 'canonical', href: url },
  ]
  if (image) {
    tags.push(
      { property: 'og:image', content: image },
      { property: 'og:image:alt', content: imageAlt ?? '' },
      { name: 'twitter:image', content: image },
      { name: 'twitter:image:alt', content: imageAlt ?? '' },
    )
  }
  return tags
}
