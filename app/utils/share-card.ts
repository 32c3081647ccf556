import { formatNumber, type Language } from './i18n.ts'

/** The share card's size: what Open Graph and Twitter's large card expect (1.91:1). */
export const CARD_WIDTH = 1200
export const CARD_HEIGHT = 630

/** A campaign's card in one language: a stable path per language (the version query only makes crawlers fetch again). */
export function shareCardPath(slug: string, lang: Language) {
  return `/c/${slug}/card-${lang}.png`
}

/**
 * The count the card shows: exact below 10,000; above that, rounded down to four figures and
 * marked with "+" (1,234,567 shows as 1,234,000+). A card is a snapshot in someone's feed: the
 * last few signatures of a million are not worth a new image for every crawler.
 */
export function shownCount(confirmed: number) {
  const count = Math.max(0, Math.floor(confirmed))
  if (count < 10_000) return { value: count, approximate: false }
  const unit = 10 ** (Math.floor(Math.log10(count)) - 3)
  const value = Math.floor(count / unit) * unit
  return { value, approximate: value !== count }
}

/**
 * The visible step: what makes one card look different from another with the same texts, the
 * shown count and the goal (the bar is drawn from the shown count, so it cannot move without it).
 */
export function cardStep({ confirmed, goal }: { confirmed: number; goal: number }) {
  const shown = shownCount(confirmed)
  return `${shown.value}${shown.approximate ? '+' : ''}/${goal}`
}

/** The count as the card and its alt text write it, in the card's language: "1.234.000+" in German. */
export function formatShownCount(confirmed: number, lang: Language) {
  const shown = shownCount(confirmed)
  return `${formatNumber(shown.value, lang)}${shown.approximate ? '+' : ''}`
}
