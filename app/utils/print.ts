/**
 * Posters, flyers and their QR codes: which sizes exist, which source tag each carries, and
 * the one URL a code may hold (the campaign's public page, in a language, with a tag).
 */
import { isLanguage, LANGUAGE_PARAM, type Language } from './i18n.ts'

/** A4 is the poster, A5 the flyer; the size decides the tag its QR code carries. */
export const PRINT_SIZES = { a4: { source: 'poster' }, a5: { source: 'flyer' } } as const
export type PrintSize = keyof typeof PRINT_SIZES

export function isPrintSize(value: unknown): value is PrintSize {
  return typeof value === 'string' && Object.hasOwn(PRINT_SIZES, value)
}

/** The `lng` a request named: null when it named none, 'invalid' when it named one we do not have. */
export function requestedLanguage(searchParams: URLSearchParams): Language | null | 'invalid' {
  const value = searchParams.get(LANGUAGE_PARAM)
  if (value === null) return null
  return isLanguage(value) ? value : 'invalid'
}

/**
 * The QR code downloads (/c/:slug/qr.svg|png). Their `lng` is the language of the link the code
 * holds, not the visitor's choice: the server sets no language cookie for them (which would
 * also keep a CDN from sharing the download).
 */
export function isQrDownloadPath(pathname: string) {
  return /^\/c\/[^/]+\/qr\.(svg|png)$/.test(pathname)
}

/** What a QR code encodes: nothing but the campaign's public URL, its tag and its language. */
export function campaignQrUrl({ publicUrl, slug, source, lang }: { publicUrl: string; slug: string; source: string | null; lang: Language | null }) {
  const params = new URLSearchParams()
  if (source) params.set('s', source)
  if (lang) params.set(LANGUAGE_PARAM, lang)
  const query = params.size > 0 ? `?${params}` : ''
  return `${publicUrl}/c/${encodeURIComponent(slug)}${query}`
}

/** The same address as a person would type it under the code: no scheme, no `www.`, no query. */
export function shortCampaignUrl({ publicUrl, slug }: { publicUrl: string; slug: string }) {
  const { host, pathname } = new URL(publicUrl)
  const base = pathname.replace(/\/+$/, '')
  return `${host.replace(/^www\./, '')}${base}/c/${slug}`
}

/** Where the page (and the back office) fetch a code from; the same file as the download. */
export function qrCodePath({ slug, source, lang, format }: { slug: string; source: string; lang: Language; format: 'svg' | 'png' }) {
  return `/c/${slug}/qr.${format}?s=${source}&${LANGUAGE_PARAM}=${lang}`
}

/** A sensible file name for a download: `free-andry-qr-poster-de.png`. */
export function qrFileName({ slug, source, lang, format }: { slug: string; source: string | null; lang: Language | null; format: 'svg' | 'png' }) {
  return [slug, 'qr', source, lang].filter(Boolean).join('-') + `.${format}`
}

/** Long titles get a smaller type, so the longest German title still fits in three or four lines. */
export function titleScale(title: string): 'l' | 'm' | 's' | 'xs' {
  const length = [...title].length
  const longestWord = Math.max(0, ...title.split(/\s+/).map((word) => [...word].length))
  if (length > 110 || longestWord > 22) return 'xs'
  if (length > 70 || longestWord > 16) return 's'
  if (length > 40) return 'm'
  return 'l'
}

/** What a poster or flyer shows (the print workflow reads it; components/print-sheet.tsx draws it). */
export type PrintSheet = {
  size: PrintSize
  slug: string
  title: { value: string; lang: Language }
  titleScale: ReturnType<typeof titleScale>
  summary: { value: string; lang: Language }
  image: { src: string; alt: string } | null
  teamName: string
  confirmed: number
  /** Today's date, formatted in the sheet's language. */
  asOf: string
  /** The QR code's image path, the address it encodes, and the short address printed under it. */
  qr: { src: string; url: string; shortUrl: string }
}
