import type { Language } from './i18n.ts'
import type { FeeSettings } from './money.ts'

/** What the donation panel and page show of one open fund. */
export type PublicFundData = {
  id: number
  slug: string
  currency: string
  goalMinor: number
  raisedMinor: number
  donors: number
  title: string
  description: string
  lang: Language
}

/** What the donation panel and page show: the funds, the totals, the donor wall and the form's limits. */
export type DonationData = {
  slug: string
  /** Supporters may be at risk (issue 16): the form asks no public name or message, and there is no donor wall. */
  atRisk: boolean
  funds: PublicFundData[]
  totals: { currency: string; raisedMinor: number; donors: number }[]
  wall: { id: number; name: string | null; message: string | null }[]
  presets: Record<string, number[]>
  fees: FeeSettings
  minMinor: number
  maxMinor: number
}
