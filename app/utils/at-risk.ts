import type { TFunction } from 'i18next'

/**
 * Whether a back-office export carries signers' and donors' names (and, for owners, addresses).
 * Always on an ordinary campaign; on a campaign whose supporters may be at risk (issue 16) only
 * when an owner asks for them (`?names=1`), which the export's audit entry records. Anyone else
 * asking gets a 403 in their language rather than a file without what they asked for.
 */
export function requireExportNames({ atRisk, role, asked, t }: { atRisk: boolean; role: string; asked: boolean; t: TFunction }) {
  if (!atRisk) return true
  if (asked && role !== 'owner') {
    throw new Response(t('atRisk.namesOwnersOnly'), { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  }
  return asked
}
