import type { LoaderFunctionArgs } from '@remix-run/node'
import { recordExport } from '~/models/audit.server.ts'
import { exportDonationsBatch } from '~/models/donations-admin.server.ts'
import { listFundsForAdmin } from '~/models/funds.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { csvRow } from '~/utils/csv.ts'
import { requireExportNames } from '~/utils/at-risk.ts'
import { getT } from '~/utils/i18n.server.ts'
import { readDonationFilter } from '~/utils/donation-filter.ts'
import { receiptNumber } from '~/utils/receipt-number.ts'
import { toDecimalString } from '~/utils/money.ts'

/**
 * Donations matching the table's filters as CSV, streamed a thousand rows at a time so
 * memory stays flat however many there are. Amounts are decimals in the row's currency
 * ("25.00"); `cancelled_at` is when a monthly gift ended (on each of its rows). Email addresses are included for owners only; donors type the names and
 * messages, so every cell is defused against spreadsheet formulas. On a campaign whose supporters
 * may be at risk, names and addresses only when an owner asks (`?names=1`, audited).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { organizer, campaign, role } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const funds = await listFundsForAdmin(context.db, { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale })
  const query = new URL(request.url).searchParams
  const filter = readDonationFilter(query, funds.map((f) => f.id))
  const withNames = requireExportNames({ atRisk: campaign.atRisk, role, asked: query.get('names') === '1', t: getT(context.lang) })
  const withEmails = withNames && role === 'owner'
  await recordExport(context.db, { organizerId: organizer.id, campaignId: campaign.id, of: 'donations', kind: 'donations', withEmails, ...(campaign.atRisk ? { withNames } : {}), filter })
  const fundById = new Map(funds.map((f) => [f.id, f]))
  const encoder = new TextEncoder()
  const filename = `${campaign.slug}-donations-${new Date().toISOString().slice(0, 10)}.csv`
  const iso = (epochMs: number | null) => (epochMs === null ? '' : new Date(epochMs).toISOString())
  let after = 0
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const columns = [
        'donation_id',
        'renewal_of',
        'created_at',
        'paid_at',
        'fund',
        'fund_title',
        'interval',
        'currency',
        'amount',
        'gift',
        'status',
        'refunded',
        'dispute_status',
        'disputed',
        'counted',
        'receipt_number',
        'cancelled_at',
        ...(withNames ? ['public_name'] : []),
        ...(withEmails ? ['email'] : []),
        'message',
      ]
      // A byte-order mark so spreadsheet programs read the names as UTF-8.
      controller.enqueue(encoder.encode(`\uFEFF${csvRow(columns)}`))
    },
    async pull(controller) {
      // Remix's writer asks for the next batch as soon as it has written one, without waiting
      // for the socket: yielding here lets other requests (and a cancelled download) through
      // between batches instead of holding the event loop until the export ends.
      await new Promise((resolve) => setImmediate(resolve))
      if (request.signal.aborted) return controller.close()
      const rows = await exportDonationsBatch(context.db, { campaignId: campaign.id, filter, after, withEmails })
      if (rows.length === 0) return controller.close()
      after = rows[rows.length - 1]!.id
      const text = rows
        .map((r) => {
          const fund = fundById.get(r.fundId)
          const amount = (minor: number) => toDecimalString(minor, r.currency)
          return csvRow([
            r.id,
            r.parentId ?? '',
            iso(r.createdAt),
            iso(r.paidAt),
            fund?.slug ?? '',
            fund?.title ?? '',
            r.interval,
            r.currency,
            amount(r.amountMinor),
            amount(r.giftMinor),
            r.status,
            amount(r.refundedMinor),
            r.disputeStatus ?? '',
            amount(r.disputedMinor),
            amount(r.countedMinor),
            r.receiptNumber === null ? '' : receiptNumber(r.receiptNumber),
            iso(r.subscriptionEndedAt),
            ...(withNames ? [r.publicName ?? ''] : []),
            ...(withEmails ? [r.email ?? ''] : []),
            r.message ?? '',
          ])
        })
        .join('')
      controller.enqueue(encoder.encode(text))
    },
  })
  return new Response(stream, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
    },
  })
}
