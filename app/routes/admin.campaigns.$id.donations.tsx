import type { LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { DonationsChart } from '~/components/donations-chart.tsx'
import { donationsPerMonth, donationTotalsByFund, listDonations } from '~/models/donations-admin.server.ts'
import { listFundsForAdmin } from '~/models/funds.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { DONATION_INTERVALS, DONATION_STATUSES, donationFilterParams, readDonationFilter } from '~/utils/donation-filter.ts'
import { formatDate, formatDateTime, formatMoney, formatNumber } from '~/utils/i18n.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const funds = await listFundsForAdmin(context.db, { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale })
  const url = new URL(request.url)
  const filter = readDonationFilter(url.searchParams, funds.map((f) => f.id))
  const showEmails = role === 'owner'
  const [page, totals, perMonth] = await Promise.all([
    listDonations(context.db, { campaignId: campaign.id, filter, before: url.searchParams.get('before'), withEmails: showEmails }),
    donationTotalsByFund(context.db, { campaignId: campaign.id }),
    donationsPerMonth(context.db, { campaignId: campaign.id, fundId: filter.fundId }),
  ])
  const fundTitle = new Map(funds.map((f) => [f.id, f.title || f.slug]))
  return {
    campaignId: campaign.id,
    atRisk: campaign.atRisk,
    lang: context.lang,
    filter,
    query: donationFilterParams(filter).toString(),
    showEmails,
    funds: funds.map((f) => ({ id: f.id, title: fundTitle.get(f.id)! })),
    // Every fund in its list order, those without donations too (one row per currency it was paid in).
    totals: funds
      .flatMap((f) => {
        const rows = totals.filter((r) => r.fundId === f.id)
        return rows.length ? rows : [{ fundId: f.id, currency: f.currency, raisedMinor: 0, grossMinor: 0, refundedMinor: 0, disputedMinor: 0, payments: 0 }]
      })
      .map((r) => ({ ...r, title: fundTitle.get(r.fundId) ?? `#${r.fundId}` })),
    perMonth,
    nextBefore: page.nextBefore,
    rows: page.rows.map((r) => ({ ...r, fundTitle: fundTitle.get(r.fundId) ?? `#${r.fundId}` })),
  }
}

export default function Donations() {
  const { campaignId, atRisk, lang, filter, query, showEmails, funds, totals, perMonth, rows, nextBefore } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  const money = (minor: number, currency: string) => formatMoney(minor, currency, lang)
  const older = new URLSearchParams(query)
  if (nextBefore) older.set('before', nextBefore)
  const base = `/admin/campaigns/${campaignId}`
  return (
    <section className="admin-section admin-section--wide">
      <h2>{t('admin.donations.title')}</h2>

      <h3>{t('admin.donations.totalsTitle')}</h3>
      {totals.length === 0 ? (
        <p>
          {t('admin.donations.noFunds')} <Link to={`${base}/funds`}>{t('admin.funds.add')}</Link>
        </p>
      ) : (
        <table className="table donation-totals">
          <thead>
            <tr>
              <th scope="col">{t('admin.donations.fund')}</th>
              <th scope="col">{t('admin.donations.raised')}</th>
              <th scope="col">{t('admin.donations.gross')}</th>
              <th scope="col">{t('admin.donations.refunded')}</th>
              <th scope="col">{t('admin.donations.disputed')}</th>
              <th scope="col">{t('admin.donations.payments')}</th>
            </tr>
          </thead>
          <tbody>
            {totals.map((r) => (
              <tr key={`${r.fundId}-${r.currency}`} data-fund-id={r.fundId}>
                <th scope="row">
                  <Link to={`?fund=${r.fundId}`}>{r.title}</Link>
                </th>
                <td className="cell-number" data-raised-minor={r.raisedMinor}>
                  {money(r.raisedMinor, r.currency)}
                </td>
                <td className="cell-number">{money(r.grossMinor, r.currency)}</td>
                <td className="cell-number">{money(r.refundedMinor, r.currency)}</td>
                <td className="cell-number">{money(r.disputedMinor, r.currency)}</td>
                <td className="cell-number">{formatNumber(r.payments, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="field__hint">{t('admin.donations.totalsHint')}</p>

      <h3>{filter.fundId ? t('admin.donations.perMonthFund', { fund: funds.find((f) => f.id === filter.fundId)?.title }) : t('admin.donations.perMonth')}</h3>
      {perMonth.length === 0 ? <p>{t('admin.donations.noPayments')}</p> : null}
      {perMonth.map((series) => (
        <DonationsChart key={series.currency} currency={series.currency} months={series.months} lang={lang} />
      ))}

      <p className="row">
        <a className="button button--quiet" href={`${base}/donations.csv${query ? `?${query}` : ''}`}>
          {t('admin.donations.exportCsv')}
        </a>
        {atRisk && showEmails ? (
          <a className="button button--quiet" href={`${base}/donations.csv?${query ? `${query}&` : ''}names=1`}>
            {t('atRisk.exportWithNames')}
          </a>
        ) : null}
        {atRisk ? <span className="muted">{t('atRisk.exportWithoutNames')}</span> : showEmails ? null : <span className="muted">{t('admin.donations.emailsOwnersOnly')}</span>}
      </p>

      <Form method="get" className="filters row">
        <div className="field">
          <label htmlFor="fund">{t('admin.donations.fund')}</label>
          <select id="fund" name="fund" defaultValue={filter.fundId ?? ''}>
            <option value="">{t('admin.donations.all')}</option>
            {funds.map((f) => (
              <option key={f.id} value={f.id}>
                {f.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="status">{t('admin.donations.status')}</label>
          <select id="status" name="status" defaultValue={filter.status ?? ''}>
            <option value="">{t('admin.donations.all')}</option>
            {DONATION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`admin.donations.statuses.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="interval">{t('admin.donations.interval')}</label>
          <select id="interval" name="interval" defaultValue={filter.interval ?? ''}>
            <option value="">{t('admin.donations.all')}</option>
            {DONATION_INTERVALS.map((i) => (
              <option key={i} value={i}>
                {t(`admin.donations.intervals.${i}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="from">{t('admin.donations.from')}</label>
          <input id="from" name="from" type="date" defaultValue={filter.from ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="to">{t('admin.donations.to')}</label>
          <input id="to" name="to" type="date" defaultValue={filter.to ?? ''} />
        </div>
        <button type="submit" className="button">
          {t('admin.donations.filter')}
        </button>
      </Form>

      <table className="table donations-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.donations.date')}</th>
            <th scope="col">{t('admin.donations.donor')}</th>
            {showEmails ? <th scope="col">{t('admin.donations.email')}</th> : null}
            <th scope="col">{t('admin.donations.fund')}</th>
            <th scope="col">{t('admin.donations.amount')}</th>
            <th scope="col">{t('admin.donations.interval')}</th>
            <th scope="col">{t('admin.donations.status')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-donation-id={r.id}>
              <td>{formatDateTime(r.createdAt, lang)}</td>
              <td>{r.publicName ?? <span className="muted">{t('admin.donations.anonymous')}</span>}</td>
              {showEmails ? <td className="cell-email">{r.email}</td> : null}
              <td>{r.fundTitle}</td>
              <td className="cell-number">
                {money(r.amountMinor, r.currency)}
                {r.giftMinor !== r.amountMinor ? (
                  <div className="muted">{t('admin.donations.giftWithFees', { amount: money(r.giftMinor, r.currency) })}</div>
                ) : null}
              </td>
              <td>
                {t(`admin.donations.intervals.${r.interval}`)}
                {r.parentId !== null ? (
                  <div>
                    <span className="tag">{t('admin.donations.renewal', { id: r.parentId })}</span>
                  </div>
                ) : null}
                {r.subscriptionEndedAt !== null ? (
                  <div>
                    <span className="tag tag--cancelled">{t('admin.donations.cancelledOn', { date: formatDate(new Date(r.subscriptionEndedAt).toISOString().slice(0, 10), lang) })}</span>
                  </div>
                ) : null}
              </td>
              <td>
                <span className={`status status--donation-${r.status}`}>{t(`admin.donations.statuses.${r.status}`)}</span>
                {r.refundedMinor > 0 ? <div className="muted">{t('admin.donations.refundedAmount', { amount: money(r.refundedMinor, r.currency) })}</div> : null}
                {r.disputeStatus ? (
                  <div className="muted">
                    {t('admin.donations.dispute', { status: t(`admin.donations.disputeStatuses.${r.disputeStatus}`), amount: money(r.disputedMinor, r.currency) })}
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p>{t('admin.donations.none')}</p> : null}
      {nextBefore ? (
        <p>
          <Link to={`?${older}`} rel="next">
            {t('admin.donations.older')}
          </Link>
        </p>
      ) : null}
    </section>
  )
}
