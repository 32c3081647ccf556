import { isCalendarDate } from './schemas.ts'

export const DONATION_STATUSES = ['open', 'processing', 'succeeded', 'failed', 'refunded', 'disputed'] as const
export type DonationStatus = (typeof DONATION_STATUSES)[number]
export const DONATION_INTERVALS = ['one_time', 'monthly'] as const
export type DonationInterval = (typeof DONATION_INTERVALS)[number]

/** What the donations table and its export show: all by default, each criterion narrowing. */
export type DonationFilter = {
  fundId?: number
  status?: DonationStatus
  interval?: DonationInterval
  /** Inclusive calendar dates of the donation's creation, 'YYYY-MM-DD' (UTC). */
  from?: string
  to?: string
}

/**
 * The filter from a query string, keeping only what is valid: a fund of this campaign, a
 * known status and interval, real dates. Anything else is ignored rather than refused.
 */
export function readDonationFilter(params: URLSearchParams, fundIds: number[]): DonationFilter {
  const fund = Number(params.get('fund'))
  const status = params.get('status')
  const interval = params.get('interval')
  const date = (v: string | null) => (v && isCalendarDate(v) ? v : undefined)
  return {
    fundId: fundIds.includes(fund) ? fund : undefined,
    status: DONATION_STATUSES.find((s) => s === status),
    interval: DONATION_INTERVALS.find((i) => i === interval),
    from: date(params.get('from')),
    to: date(params.get('to')),
  }
}

/** The same filter as query parameters, for links (the export, the next page). */
export function donationFilterParams(filter: DonationFilter) {
  const params = new URLSearchParams()
  if (filter.fundId) params.set('fund', String(filter.fundId))
  if (filter.status) params.set('status', filter.status)
  if (filter.interval) params.set('interval', filter.interval)
  if (filter.from) params.set('from', filter.from)
  if (filter.to) params.set('to', filter.to)
  return params
}
