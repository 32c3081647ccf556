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
 * What the card shows of the campaign's state: while live, the count against the goal as a bar;
 * once closed or won, a badge saying so and the final count (nothing left to reach).
 */
export type CardStatus = 'live' | 'closed' | 'won'

/** The count an ended campaign's card shows: all of it, as it will not move in steps any more. */
export function finalCount(confirmed: number) {
  return Math.max(0, Math.floor(confirmed))
}

/**
 * The visible step: what makes one card look different from another with the same texts, the
 * shown count and the goal (the bar is drawn from the shown count, so it cannot move without it),
 * or an ended campaign's state and final count.
 */
export function cardStep({ confirmed, goal, status = 'live' }: { confirmed: number; goal: number; status?: CardStatus }) {
  if (status !== 'live') return `${status}:${finalCount(confirmed)}`
  const shown = shownCount(confirmed)
  return `${shown.value}${shown.approximate ? '+' : ''}/${goal}`
}

/** The count as the card and its alt text write it, in the card's language: "1.234.000+" in German (an ended campaign's exactly). */
export function formatShownCount(confirmed: number, lang: Language, status: CardStatus = 'live') {
  if (status !== 'live') return formatNumber(finalCount(confirmed), lang)
  const shown = shownCount(confirmed)
  return `${formatNumber(shown.value, lang)}${shown.approximate ? '+' : ''}`
}
