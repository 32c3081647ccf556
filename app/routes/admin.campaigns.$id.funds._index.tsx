import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { FundForm } from '~/components/fund-form.tsx'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { createFund, listFundsForAdmin } from '~/models/funds.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { formatMoney, formatNumber } from '~/utils/i18n.ts'
import { fundCurrencies, fundSchema } from '~/utils/schemas.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const funds = await listFundsForAdmin(context.db, { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale })
  return {
    campaignId: campaign.id,
    canChange: roleAtLeast(role, 'manager'),
    lang: context.lang,
    defaultLocale: campaign.defaultLocale,
    campaignCurrency: campaign.currency,
    currencies: fundCurrencies(campaign.currency),
    nextPosition: funds.reduce((max, f) => Math.max(max, f.position + 1), 0),
    funds: funds.map((f) => ({
      id: f.id,
      slug: f.slug,
      title: f.title,
      status: f.status,
      currency: f.currency,
      goalMinor: f.goalMinor,
      raisedMinor: f.raisedMinor,
      donors: f.donors,
    })),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const t = getT(context.lang)
  const schema = fundSchema(t, { currencies: fundCurrencies(campaign.currency), defaultLocale: campaign.defaultLocale })
  const submission = parseWithZod(await request.formData(), { schema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const id = await createFund(context.db, { campaignId: campaign.id, input: submission.value, organizerId: organizer.id })
  if (id === null) return data({ result: submission.reply({ fieldErrors: { slug: [t('admin.funds.slugTaken')] } }) }, { status: 400 })
  return redirect(`/admin/campaigns/${campaign.id}/funds?saved=1`)
}

export default function Funds() {
  const { campaignId, canChange, lang, defaultLocale, campaignCurrency, currencies, nextPosition, funds } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  return (
    <section className="admin-section admin-section--wide">
      <h2>{t('admin.funds.title')}</h2>
      <p className="muted">{t('admin.funds.intro')}</p>
      <SavedNotice stale={Boolean(actionData)} />
      {funds.length === 0 ? (
        <p>{t('admin.funds.none')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.funds.name')}</th>
              <th scope="col">{t('admin.funds.status')}</th>
              <th scope="col">{t('admin.funds.goal')}</th>
              <th scope="col">{t('admin.funds.raised')}</th>
              <th scope="col">{t('admin.funds.donors')}</th>
              <th scope="col">{t('admin.funds.progress')}</th>
            </tr>
          </thead>
          <tbody>
            {funds.map((f) => {
              const percent = f.goalMinor > 0 ? Math.floor((f.raisedMinor / f.goalMinor) * 100) : 0
              return (
                <tr key={f.id}>
                  <td>
                    <Link to={`/admin/campaigns/${campaignId}/funds/${f.id}`}>{f.title || t('admin.funds.untitled')}</Link>
                    <div className="muted">{f.slug}</div>
                  </td>
                  <td>
                    <span className={`status status--fund-${f.status}`}>{t(`admin.funds.statuses.${f.status}`)}</span>
                  </td>
                  <td className="cell-number">{formatMoney(f.goalMinor, f.currency, lang)}</td>
                  <td className="cell-number">{formatMoney(f.raisedMinor, f.currency, lang)}</td>
                  <td className="cell-number">{formatNumber(f.donors, lang)}</td>
                  <td>
                    <progress
                      className="fund-progress"
                      max={Math.max(1, f.goalMinor)}
                      value={Math.min(f.raisedMinor, f.goalMinor)}
                      aria-label={t('admin.funds.progressLabel', { title: f.title || f.slug })}
                    />{' '}
                    {formatNumber(percent, lang)} %
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {canChange ? (
        <details className="panel" open={Boolean(actionData) || funds.length === 0}>
          <summary>{t('admin.funds.add')}</summary>
          <FundForm
            id={`fund-new-${campaignId}`}
            lastResult={actionData?.result}
            defaultValue={{ currency: campaignCurrency, status: 'open', position: nextPosition }}
            currencies={currencies}
            defaultLocale={defaultLocale}
            submitLabel={t('admin.funds.create')}
          />
        </details>
      ) : (
        <p className="muted">{t('admin.campaignRoles.managersChange')}</p>
      )}
    </section>
  )
}
