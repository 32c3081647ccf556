/**
 * Money in minor units (cents), as Stripe counts it, against amounts as people type and
 * read them ("4500.50"). The number of minor-unit digits is the currency's, as Intl knows
 * it (2 for EUR, 0 for JPY), so the scaling matches formatMoney's.
 */
const digitsByCurrency = new Map<string, number>()

export function currencyDigits(currency: string) {
  const code = currency.toUpperCase()
  let digits = digitsByCurrency.get(code)
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2
    digitsByCurrency.set(code, digits)
  }
  return digits
}

/** Digits, then optionally a point or comma and one or two more: "4500", "4500.5", "4500,50". No thousands separators. */
export const MAJOR_AMOUNT_PATTERN = /^\d{1,12}(?:[.,]\d{1,2})?$/

/** "4500.50" in EUR is 450050; null when the text is not an amount or has more decimals than the currency. */
export function toMinorUnits(text: string, currency: string): number | null {
  const value = text.trim()
  if (!MAJOR_AMOUNT_PATTERN.test(value)) return null
  const [whole = '', fraction = ''] = value.split(/[.,]/)
  const digits = currencyDigits(currency)
  if (fraction.length > digits) return null
  // String arithmetic, never floats: 0.1 + 0.2 has no business near money.
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
}

/** What a donor typed ("25", "25,50", "1 000"): spaces people put between thousands are dropped first. */
export function parseAmount(typed: string, currency: string): number | null {
  return toMinorUnits(typed.replace(/[\s\u00A0\u202F']/g, ''), currency)
}

/** 450050 EUR is "4500.50", 450000 EUR is "4500": what the goal field shows. */
export function toMajorString(minor: number, currency: string) {
  const digits = currencyDigits(currency)
  if (digits === 0) return String(minor)
  const scale = 10 ** digits
  const whole = Math.trunc(minor / scale)
  const fraction = Math.abs(minor % scale)
  return fraction === 0 ? String(whole) : `${whole}.${String(fraction).padStart(digits, '0')}`
}

/** For CSV: always with the currency's decimals and a point, as spreadsheets parse it ("25.00"). */
export function toDecimalString(minor: number, currency: string) {
  const digits = currencyDigits(currency)
  if (digits === 0) return String(minor)
  const scale = 10 ** digits
  const sign = minor < 0 ? '-' : ''
  const abs = Math.abs(minor)
  return `${sign}${Math.trunc(abs / scale)}.${String(abs % scale).padStart(digits, '0')}`
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
