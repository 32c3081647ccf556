import { pick } from 'accept-language-parser'
import { tryDecodeURIComponent } from './uri.ts'

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

/** The back office's pages, which also need the catalog's `admin.*` strings (admin.json) in the browser. */
export function isBackOffice(pathname: string) {
  return /^\/admin(?:\/|$)/i.test(pathname)
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    // Cookies are attacker input: a malformed escape (`%E0`) means "no usable value".
    if (part.slice(0, eq).trim() === name) return tryDecodeURIComponent(part.slice(eq + 1).trim())
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
  if (input.acceptLanguage) return { language: fromAcceptLanguage(input.acceptLanguage), fromParam: false }
  return { language: DEFAULT_LANGUAGE, fromParam: false }
}

// Browsers send few distinct Accept-Language values; parsing one is the costliest step of a cached page view.
const accepted = new Map<string, Language>()
function fromAcceptLanguage(header: string): Language {
  let language = accepted.get(header)
  if (language === undefined) {
    const picked = pick([...LANGUAGES], header, { loose: true })
    language = isLanguage(picked) ? picked : DEFAULT_LANGUAGE
    if (accepted.size >= 1000) accepted.clear()
    accepted.set(header, language)
  }
  return language
}

export function languageCookie(language: Language) {
  return `${LANGUAGE_COOKIE}=${language}; Path=/; Max-Age=31536000; SameSite=Lax`
}

// Building an Intl formatter costs far more than using one: keep one per language and style.
function memoize<T>(make: (language: Language) => T) {
  const made = new Map<Language, T>()
  return (language: Language) => {
    let value = made.get(language)
    if (value === undefined) made.set(language, (value = make(language)))
    return value
  }
}

// Calendar dates carry no time zone: format them as UTC so no visitor sees the day before.
const dateFormat = memoize((l) => new Intl.DateTimeFormat(l, { dateStyle: 'long', timeZone: 'UTC' }))
const dateTimeFormat = memoize((l) => new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'short' }))
const numberFormat = memoize((l) => new Intl.NumberFormat(l))
const languageNames = memoize((l) => new Intl.DisplayNames([l], { type: 'language' }))

export function formatDate(isoDate: string, language: Language) {
  return dateFormat(language).format(new Date(`${isoDate}T00:00:00Z`))
}

export function formatDateTime(epochMs: number, language: Language) {
  return dateTimeFormat(language).format(new Date(epochMs))
}

export function formatNumber(value: number, language: Language) {
  return numberFormat(language).format(value)
}

/** A language's name as written in another language, for sentences ("auf Englisch"). */
export function languageName(code: Language, inLanguage: Language) {
  return languageNames(inLanguage).of(code) ?? LANGUAGE_NAMES[code]
}

// One formatter per language and currency, with the currency's minor-unit digits as Intl knows them
// (2 for EUR, 0 for JPY): amounts are stored in minor units and must be scaled by exactly that.
const moneyFormats = new Map<string, { format: Intl.NumberFormat; digits: number }>()

/** An amount in minor units as the language writes it: 2500 EUR is "€25.00" in English and "25,00 €" in German. */
export function formatMoney(minor: number, currency: string, language: Language) {
  const key = `${language}:${currency.toUpperCase()}`
  let money = moneyFormats.get(key)
  if (money === undefined) {
    const format = new Intl.NumberFormat(language, { style: 'currency', currency })
    money = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 }
    moneyFormats.set(key, money)
  }
  return money.format.format(minor / 10 ** money.digits)
}
