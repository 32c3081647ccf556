/** Money in minor units (cents), as Stripe counts it; currencies are ISO 4217 codes. */

const digitsCache = new Map<string, number>()

/** How many minor-unit digits a currency has (2 for EUR, 0 for JPY), as Intl knows them. */
export function minorDigits(currency: string) {
  const code = currency.toUpperCase()
  let digits = digitsCache.get(code)
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2
    digitsCache.set(code, digits)
  }
  return digits
}

/**
 * A typed amount ("25", "25.5", "25,50", "1 000") in minor units, or null when it is not
 * a plain positive amount with at most the currency's decimals.
 */
export function parseAmount(typed: string, currency: string): number | null {
  const digits = minorDigits(currency)
  const compact = typed.trim().replace(/[\s\u00A0\u202F']/g, '')
  const match = /^(\d{1,9})(?:[.,](\d+))?$/.exec(compact)
  if (!match) return null
  const fraction = match[2] ?? ''
  if (fraction.length > digits) return null
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || 0)
}

export type FeeSettings = { feePercent: number; feeFixedMinor: number }

/**
 * What to add so that, after the processor's percentage and fixed fee, the gift arrives
 * whole: charge = (gift + fixed) / (1 - percent), rounded up.
 */
export function feeCover(giftMinor: number, { feePercent, feeFixedMinor }: FeeSettings) {
  const charge = Math.ceil((giftMinor + feeFixedMinor) / (1 - feePercent / 100))
  return charge - giftMinor
}
