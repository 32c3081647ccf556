import { pick } from 'accept-language-parser'

export const LANGUAGES = ['en', 'de', 'es'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'en'
export const LANGUAGE_COOKIE = 'vigil_lang'
export const LANGUAGE_PARAM = 'lng'

export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  de: 'Deutsch',
  es: 'Español',
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}

/**
 * The visitor's language: an explicit choice in the URL (the switcher's links), then
 * the cookie that choice left, then Accept-Language, then English.
 */
export function negotiateLanguage(input: {
  param?: string | null
  cookieHeader?: string | null
  acceptLanguage?: string | null
}): { language: Language; fromParam: boolean } {
  if (isLanguage(input.param)) return { language: input.param, fromParam: true }
  const cookie = readCookie(input.cookieHeader, LANGUAGE_COOKIE)
  if (isLanguage(cookie)) return { language: cookie, fromParam: false }
  if (input.acceptLanguage) {
    const picked = pick([...LANGUAGES], input.acceptLanguage, { loose: true })
    if (isLanguage(picked)) return { language: picked, fromParam: false }
  }
  return { language: DEFAULT_LANGUAGE, fromParam: false }
}

export function languageCookie(language: Language) {
  return `${LANGUAGE_COOKIE}=${language}; Path=/; Max-Age=31536000; SameSite=Lax`
}

export function formatDate(isoDate: string, language: Language) {
  // Calendar dates carry no time zone: format them as UTC so no visitor sees the day before.
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(`${isoDate}T00:00:00Z`),
  )
}

export function formatDateTime(epochMs: number, language: Language) {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(epochMs),
  )
}

export function formatNumber(value: number, language: Language) {
  return new Intl.NumberFormat(language).format(value)
}

/** A language's name as written in another language, for sentences ("auf Englisch"). */
export function languageName(code: Language, inLanguage: Language) {
  return new Intl.DisplayNames([inLanguage], { type: 'language' }).of(code) ?? LANGUAGE_NAMES[code]
}
