import type { LoaderFunctionArgs } from '@remix-run/node'
import { loadMyData, mySupporterId, type MyDataView } from '~/workflows/my-data.server.ts'
import { countryName } from '~/utils/countries.ts'
import { escapeHtml } from '~/utils/html.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDateTime, formatMoney, type Language } from '~/utils/i18n.ts'
import { receiptNumber } from '~/utils/receipt-number.ts'

/**
 * The download of everything held as one HTML file that reads and prints on its own: no
 * scripts, no requests, its styles inside it (allowed by this response's own policy alone).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const supporterId = await mySupporterId(context.db, request)
  const mine = supporterId === null ? null : await loadMyData(context.db, { supporterId, lang: context.lang })
  const t = getT(context.lang)
  if (!mine) return new Response(t('me.request.ended'), { status: 401, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'private, no-store' } })
  return new Response(page(mine, context.lang, (key, values) => t(key, { ...values, interpolation: { escapeValue: false } }) as string), {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Disposition': 'attachment; filename="my-data.html"',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'Cache-Control': 'private, no-store',
    },
  })
}

type T = (key: string, values?: Record<string, unknown>) => string

const STYLE = `
body { font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1d22; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05rem; margin-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem 1rem; margin: 0 0 1rem; } dt { font-weight: 600; } dd { margin: 0; }
dd, td { overflow-wrap: anywhere; }
.meta { color: #4a4f5a; font-size: .9rem; }
@media (max-width: 30rem) { dl { grid-template-columns: minmax(0, 1fr); } dd { margin-bottom: .4rem; } th, td { padding: .25rem; font-size: .9rem; } }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } h2 { break-after: avoid; } section, tr, .item { break-inside: avoid; } }
`

function page(mine: MyDataView, lang: Language, t: T) {
  const e = (value: string | null | undefined) => escapeHtml(value ?? '')
  const when = (ms: number | null) => (ms === null ? '—' : e(formatDateTime(ms, lang)))
  const yesNo = (v: boolean) => e(t(v ? 'me.data.yes' : 'me.data.no'))
  const row = (label: string, value: string) => `<dt>${e(t(label))}</dt><dd>${value}</dd>`
  const none = `<p>${e(t('me.data.none'))}</p>`
  const s = mine.supporter
  const signatures = mine.signatures.length
    ? mine.signatures
        .map(
          (sig) => `<div class="item"><h3>${e(sig.campaignTitle)}</h3><dl>
${row('me.data.signedAt', when(sig.createdAt))}${row('me.data.status', e(t(`me.status.${sig.status}`)))}${row('me.data.nameShown', yesNo(sig.showName))}
${sig.anonymisedAt ? '' : row('me.data.signedAs', `${e(sig.firstName)} ${e(sig.lastName)}, ${e(countryName(sig.country, lang))}${sig.postalCode ? `, ${e(sig.postalCode)}` : ''}`)}
${row('me.data.message', sig.message ? e(sig.message) : '—')}${sig.replies.map((r) => row('me.data.reply', e(r.body))).join('')}</dl></div>`,
        )
        .join('\n')
    : none
  const donations = mine.donations.length
    ? `<table><thead><tr><th>${e(t('me.data.date'))}</th><th>${e(t('me.data.amount'))}</th><th>${e(t('me.data.fund'))}</th><th>${e(t('me.data.monthly'))}</th><th>${e(t('me.data.receipt'))}</th></tr></thead><tbody>
${mine.donations
  .map(
    (d) =>
      `<tr><td>${when(d.paidAt ?? d.createdAt)}</td><td>${e(formatMoney(d.amountMinor, d.currency, lang))}</td><td>${e(d.fundTitle)} (${e(d.campaignTitle)})</td><td>${yesNo(d.monthly)}</td><td>${d.receiptNumber === null ? '—' : e(receiptNumber(d.receiptNumber))}</td></tr>`,
  )
  .join('\n')}</tbody></table>`
    : none
  const consents = mine.consents.length
    ? `<ul>${mine.consents.map((c) => `<li>${when(c.createdAt)}: ${e(t(c.granted ? 'me.data.consentGranted' : 'me.data.consentWithdrawn', { campaign: c.campaignTitle }))}</li>`).join('')}</ul>`
    : none
  const suppressions = mine.suppressions.length
    ? `<ul>${mine.suppressions.map((x) => `<li>${e(t(`me.data.suppressed.${x.reason}`, { date: formatDateTime(x.createdAt, lang) }))}</li>`).join('')}</ul>`
    : `<p>${e(t('me.data.noSuppressions'))}</p>`
  const emails = mine.emails.length
    ? `<ul>${mine.emails.map((m) => `<li>${when(m.sentAt ?? m.queuedAt)}: ${e(m.subject || t('me.data.noSubject'))}</li>`).join('')}</ul>`
    : none
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(t('me.title'))}</title><style>${STYLE}</style></head>
<body><h1>${e(t('me.title'))}</h1>
<p class="meta">${e(t('me.export.generated', { date: formatDateTime(Date.now(), lang) }))}</p>
<section><h2>${e(t('me.data.you'))}</h2><dl>${row('me.data.email', e(s.email))}${row('me.data.name', `${e(s.firstName)} ${e(s.lastName)}`)}${row('me.data.country', e(countryName(s.country, lang)))}${row('me.data.since', when(s.createdAt))}</dl></section>
<section><h2>${e(t('me.data.signatures'))}</h2>${signatures}</section>
<section><h2>${e(t('me.data.donations'))}</h2>${donations}</section>
<section><h2>${e(t('me.data.consents'))}</h2>${consents}</section>
<section><h2>${e(t('me.data.suppressions'))}</h2>${suppressions}</section>
<section><h2>${e(t('me.data.emails'))}</h2>${emails}</section>
</body></html>`
}
