import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { FundForm } from '~/components/fund-form.tsx'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { listFundsForAdmin, updateFund } from '~/models/funds.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { formatMoney, type Language } from '~/utils/i18n.ts'
import { toMajorString } from '~/utils/money.ts'
import { fundCurrencies, fundSchema } from '~/utils/schemas.ts'

async function requireFund(db: LoaderFunctionArgs['context']['db'], request: Request, params: { id?: string; fundId?: string }, lang: Language, min: 'viewer' | 'manager') {
  const { organizer, campaign, role } = await requireCampaignRole(db, request, params.id, min)
  const funds = await listFundsForAdmin(db, { campaignId: campaign.id, lang, defaultLocale: campaign.defaultLocale })
  const fund = funds.find((f) => String(f.id) === params.fundId)
  if (!fund) throw new Response('Fund not found', { status: 404 })
  return { organizer, campaign, fund, role }
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, fund, role } = await requireFund(context.db, request, params, context.lang, 'viewer')
  return {
    campaignId: campaign.id,
    canChange: roleAtLeast(role, 'manager'),
    fundId: fund.id,
    title: fund.title || fund.slug,
    raised: formatMoney(fund.raisedMinor, fund.currency, context.lang),
    defaultLocale: campaign.defaultLocale,
    currencies: fundCurrencies(campaign.currency, fund.currency),
    currencyLocked: fund.raisedMinor !== 0 || fund.donors !== 0,
    value: {
      slug: fund.slug,
      goal: toMajorString(fund.goalMinor, fund.currency),
      currency: fund.currency,
      status: fund.status,
      position: fund.position,
      texts: fund.texts,
    },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign, fund } = await requireFund(context.db, request, params, context.lang, 'manager')
  const t = getT(context.lang)
  const schema = fundSchema(t, { currencies: fundCurrencies(campaign.currency, fund.currency), defaultLocale: campaign.defaultLocale })
  const submission = parseWithZod(await request.formData(), { schema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const result = await updateFund(context.db, { campaignId: campaign.id, fundId: fund.id, input: submission.value, organizerId: organizer.id })
  switch (result) {
    case 'missing':
      throw new Response('Fund not found', { status: 404 })
    case 'slug-taken':
      return data({ result: submission.reply({ fieldErrors: { slug: [t('admin.funds.slugTaken')] } }) }, { status: 400 })
    case 'currency-locked':
      return data({ result: submission.reply({ fieldErrors: { currency: [t('admin.funds.currencyLocked', { currency: fund.currency })] } }) }, { status: 400 })
    case 'saved':
      return redirect(`/admin/campaigns/${campaign.id}/funds/${fund.id}?saved=1`)
  }
}

export default function FundAdmin() {
  const { campaignId, canChange, fundId, title, raised, defaultLocale, currencies, currencyLocked, value } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <p>
        <Link to={`/admin/campaigns/${campaignId}/funds`}>← {t('admin.funds.back')}</Link>
      </p>
      <h2>{t('admin.funds.edit', { title })}</h2>
      <p className="muted">
        {t('admin.funds.raisedSoFar', { amount: raised })}{' '}
        <Link to={`/admin/campaigns/${campaignId}/donations?fund=${fundId}`}>{t('admin.funds.showDonations')}</Link>
      </p>
      <SavedNotice stale={Boolean(actionData)} />
      {canChange ? null : <p className="muted">{t('admin.campaignRoles.managersChange')}</p>}
      <FundForm
        id={`fund-${fundId}`}
        lastResult={actionData?.result}
        defaultValue={value}
        currencies={currencies}
        defaultLocale={defaultLocale}
        currencyLocked={currencyLocked}
        submitLabel={t('admin.save')}
      />
    </section>
  )
}
