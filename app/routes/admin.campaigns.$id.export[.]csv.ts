import type { LoaderFunctionArgs } from '@remix-run/node'
import { countryCountsForExport, exportBatch } from '~/models/signatures-admin.server.ts'
import { recordExport } from '~/models/audit.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { countryName } from '~/utils/countries.ts'
import { csvRow } from '~/utils/csv.ts'
import { requireExportNames } from '~/utils/at-risk.ts'

/**
 * Confirmed signatures as CSV, streamed a thousand rows at a time so memory stays flat
 * however large the petition; each batch is opened as it is read (names are sealed, ADR 017). Email addresses are included for owners only. Anonymised
 * signatures (ADR 010) stay in it, so it still adds up to the count: "Anonymised" where
 * the name was, the country and the confirmation time. On a campaign whose supporters may be at
 * risk it has no names, addresses or postal codes unless an owner asks (`?names=1`, audited).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { organizer, campaign, role } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const query = new URL(request.url).searchParams
  const kind = query.get('kind') === 'countries' ? 'countries' : 'signatures'
  const t = getT(context.lang)
  const withNames = kind === 'signatures' && requireExportNames({ atRisk: campaign.atRisk, role, asked: query.get('names') === '1', t })
  const withEmails = withNames && role === 'owner'
  await recordExport(context.db, { organizerId: organizer.id, campaignId: campaign.id, kind, withEmails, ...(campaign.atRisk ? { withNames } : {}) })
  const encoder = new TextEncoder()
  const filename = `${campaign.slug}-${kind}-${new Date().toISOString().slice(0, 10)}.csv`
  const headers = {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
  }
  if (kind === 'countries') {
    const rows = await countryCountsForExport(context.db, { campaignId: campaign.id })
    const body = [csvRow(['country_code', 'country', 'confirmed']), ...rows.map((r) => csvRow([r.country, countryName(r.country, context.lang), r.confirmed]))].join('')
    return new Response(body, { headers })
  }
  const anonymised = t('admin.signatures.anonymised')
  let after = 0
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const columns = [...(withNames ? ['first_name', 'last_name'] : []), ...(withEmails ? ['email'] : []), 'country', ...(withNames ? ['postal_code'] : []), 'confirmed_at', 'message']
      // A byte-order mark so spreadsheet programs read the names as UTF-8.
      controller.enqueue(encoder.encode(`\uFEFF${csvRow(columns)}`))
    },
    async pull(controller) {
      const rows = await exportBatch(context.db, { campaignId: campaign.id, after, withEmails })
      if (rows.length === 0) return controller.close()
      after = rows[rows.length - 1]!.id
      const text = rows
        .map((r) =>
          csvRow([
            ...(withNames ? [r.anonymisedAt ? anonymised : r.firstName, r.lastName] : []),
            ...(withEmails ? [r.email ?? ''] : []),
            r.country,
            ...(withNames ? [r.postalCode ?? ''] : []),
            r.confirmedAt ? new Date(r.confirmedAt).toISOString() : '',
            r.message ?? '',
          ]),
        )
        .join('')
      controller.enqueue(encoder.encode(text))
    },
  })
  return new Response(stream, { headers })
}
