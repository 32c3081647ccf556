import { useForm, type SubmissionResult } from '@conform-to/react'
import { Form, useNavigation } from '@remix-run/react'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { formatMoney, formatNumber, type Language } from '~/utils/i18n.ts'
import { feeCover, parseAmount } from '~/utils/money.ts'
import type { DonationData, PublicFundData } from '~/utils/donate.ts'
import { DONATION_LIMITS } from '~/utils/form-limits.ts'
import { useLazyValidators } from '~/utils/lazy-validation.ts'
import { CheckboxField, ConformForm, ErrorList, TextAreaField, TextField } from './ui/field.tsx'


export type DonateActionData = { result?: SubmissionResult<string[]> }

function presetsFor(data: Pick<DonationData, 'presets'>, currency: string) {
  return data.presets[currency] ?? data.presets['*'] ?? []
}

/** `heading`: h3 under the campaign page's "Fund the reporting" h2; h2 on the donate page, under its h1. */
export function FundProgress({ fund, lang, heading: Heading = 'h3' }: { fund: PublicFundData; lang: Language; heading?: 'h2' | 'h3' }) {
  const { t } = useTranslation()
  const percent = fund.goalMinor > 0 ? Math.min(100, Math.round((fund.raisedMinor / fund.goalMinor) * 100)) : 0
  return (
    <div className="fund" data-fund={fund.slug}>
      <Heading className="fund__title" lang={fund.lang}>
        {fund.title}
      </Heading>
      {fund.description ? (
        <p className="fund__description" lang={fund.lang}>
          {fund.description}
        </p>
      ) : null}
      <progress className="fund__progress" max={fund.goalMinor} value={Math.min(fund.raisedMinor, fund.goalMinor)} aria-label={`${percent} %`} />
      <p className="fund__figures">
        {t('donate.raised', { raised: formatMoney(fund.raisedMinor, fund.currency, lang), goal: formatMoney(fund.goalMinor, fund.currency, lang) })}
        {' · '}
        {t('donate.donors', { count: fund.donors, formatted: formatNumber(fund.donors, lang) })}
      </p>
    </div>
  )
}

/**
 * The donation form: works as a plain form post (the action redirects to Stripe); with
 * JavaScript it also shows the exact fee before paying. Shared by the campaign page
 * and /c/:slug/donate.
 */
export function DonateForm({
  data,
  lang,
  result,
  selectedFund,
  id = 'donate-form',
  action = `/c/${data.slug}/donate`,
  newTab = false,
  source = null,
}: {
  data: DonationData
  lang: Language
  result?: SubmissionResult<string[]>
  selectedFund?: number
  id?: string
  action?: string
  /** The embed's form: paying happens in a tab of its own (Stripe's pages cannot be framed, and a payer should see the address). */
  newTab?: boolean
  /** The known source tag the visitor came with (app/utils/sources.ts), kept with the donation. */
  source?: string | null
}) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  const busy = navigation.state !== 'idle' && navigation.formAction?.endsWith('/donate') === true
  const firstFund = data.funds.find((f) => f.id === selectedFund) ?? data.funds[0]
  const validators = useLazyValidators()
  const [form, fields] = useForm({
    id,
    lastResult: result,
    constraint: DONATION_LIMITS,
    defaultValue: {
      fundId: String(firstFund?.id ?? ''),
      interval: 'one_time',
      amount: String(presetsFor(data, firstFund?.currency ?? '*')[1] ?? 'custom'),
    },
    onValidate: validators ? ({ formData }) => validators.validateDonation(formData, t) : undefined,
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
  })
  // Controlled radios: the browser still submits them as a plain form does.
  const [fundId, setFundId] = useState(fields.fundId.initialValue ?? String(firstFund?.id ?? ''))
  const [amount, setAmount] = useState(fields.amount.initialValue ?? String(presetsFor(data, firstFund?.currency ?? '*')[1] ?? 'custom'))
  const fund = data.funds.find((f) => String(f.id) === fundId) ?? firstFund
  if (!fund) return null
  const currency = fund.currency
  const presets = presetsFor(data, currency)
  const chosen = amount === 'custom' ? parseAmount(fields.customAmount.value ?? '', currency) : Number(amount)
  const fee = chosen && chosen > 0 ? feeCover(chosen, data.fees) : null
  const money = (minor: number) => formatMoney(minor, currency, lang)

  return (
    <ConformForm
      form={form}
      as={Form}
      action={action}
      {...(newTab ? { reloadDocument: true, target: '_blank' } : {})}
      className="stack donate-form"
      lastResult={result}
      summary={{
        fundId: t('donate.fund'),
        interval: t('donate.frequency'),
        amount: t('donate.amount'),
        customAmount: t('donate.customAmount', { currency }),
        email: t('donate.email'),
        publicName: t('donate.publicName'),
        message: t('donate.message'),
      }}
    >
      <input type="hidden" name="currency" value={currency} />
      {source ? <input type="hidden" name="s" value={source} /> : null}
      {data.funds.length > 1 ? (
        <fieldset className="field choice choice--funds">
          <legend>{t('donate.fund')}</legend>
          {data.funds.map((f, i) => (
            <label key={f.id} className="choice__option">
              <input
                id={i === 0 ? fields.fundId.id : undefined}
                type="radio"
                name={fields.fundId.name}
                value={f.id}
                checked={String(f.id) === String(fund.id)}
                onChange={() => setFundId(String(f.id))}
              />
              <span lang={f.lang}>{f.title}</span>
            </label>
          ))}
          <ErrorList id={fields.fundId.errorId} errors={fields.fundId.errors} />
        </fieldset>
      ) : (
        <input type="hidden" name={fields.fundId.name} value={fund.id} />
      )}
      <fieldset className="field choice choice--inline">
        <legend>{t('donate.frequency')}</legend>
        {(['one_time', 'monthly'] as const).map((interval, i) => (
          <label key={interval} className="choice__option">
            <input id={i === 0 ? fields.interval.id : undefined} type="radio" name={fields.interval.name} value={interval} defaultChecked={(fields.interval.initialValue ?? 'one_time') === interval} />
            <span>{t(`donate.interval.${interval}`)}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="field choice choice--amounts" aria-describedby={fields.amount.errorId}>
        <legend>{t('donate.amount')}</legend>
        {presets.map((minor, i) => (
          <label key={minor} className="choice__option choice__option--amount">
            <input
              id={i === 0 ? fields.amount.id : undefined}
              type="radio"
              name={fields.amount.name}
              value={minor}
              checked={amount === String(minor)}
              onChange={() => setAmount(String(minor))}
            />
            <span>{money(minor)}</span>
          </label>
        ))}
        <label className="choice__option choice__option--amount">
          <input id={presets.length === 0 ? fields.amount.id : undefined} type="radio" name={fields.amount.name} value="custom" checked={amount === 'custom'} onChange={() => setAmount('custom')} />
          <span>{t('donate.other')}</span>
        </label>
        <ErrorList id={fields.amount.errorId} errors={fields.amount.errors} />
      </fieldset>
      <TextField
        meta={fields.customAmount}
        label={t('donate.customAmount', { currency })}
        inputMode="decimal"
        hint={t('donate.limits', { min: money(data.minMinor), max: money(data.maxMinor) })}
        onFocus={() => setAmount('custom')}
      />
      <CheckboxField
        meta={fields.coverFees}
        label={fee !== null ? t('donate.coverFeesExact', { fee: money(fee) }) : t('donate.coverFees')}
        hint={t('donate.coverFeesHint', { percent: formatNumber(data.fees.feePercent, lang), fixed: money(data.fees.feeFixedMinor) })}
      />
      <TextField meta={fields.email} type="email" label={t('donate.email')} autoComplete="email" hint={t('donate.emailHint')} />
      {data.atRisk ? (
        // At risk a receipt names nobody unless the donor asks for it here.
        <TextField meta={fields.receiptName} label={t('atRisk.receiptName')} hint={t('atRisk.receiptNameHint')} autoComplete="off" />
      ) : (
        <>
          <TextField meta={fields.receiptName} label={t('donate.receiptName')} hint={t('donate.receiptNameHint')} autoComplete="name" />
          <TextField meta={fields.publicName} label={t('donate.publicName')} hint={t('donate.publicNameHint')} autoComplete="off" />
          <TextAreaField meta={fields.message} rows={2} label={t('donate.message')} hint={t('donate.messageHint')} />
        </>
      )}
      <CheckboxField meta={fields.updates} label={t('donate.updates')} hint={t('donate.updatesHint')} />
      <button type="submit" className="button button--donate" disabled={busy}>
        {busy ? t('donate.redirecting') : t('donate.submit')}
      </button>
      <p className="field__hint">{t(data.atRisk ? 'atRisk.donatePrivacy' : 'donate.privacy')}</p>
    </ConformForm>
  )
}

/** The campaign page's money panel: funds with progress, the campaign total, the form, the donor wall. */
export function DonatePanel({ data, lang, source = null }: { data: DonationData; lang: Language; source?: string | null }) {
  const { t } = useTranslation()
  return (
    <section className="panel panel--donate" id="donate" aria-labelledby="donate-title">
      <h2 id="donate-title">{t('donate.title')}</h2>
      <p>{t('donate.intro')}</p>
      {data.totals.some((total) => total.raisedMinor > 0) ? (
        <p className="donate-total">
          {t('donate.total', { total: data.totals.map((total) => formatMoney(total.raisedMinor, total.currency, lang)).join(' + ') })}
        </p>
      ) : null}
      {data.funds.length === 0 ? (
        <p className="muted">{t('donate.noFunds')}</p>
      ) : (
        <>
          {data.funds.map((fund) => (
            <FundProgress key={fund.id} fund={fund} lang={lang} />
          ))}
          <DonateForm data={data} lang={lang} id="donate-panel-form" source={source} />
        </>
      )}
      {data.wall.length > 0 ? (
        <div className="donor-wall">
          <h3>{t('donate.wall')}</h3>
          <ul>
            {data.wall.map((entry) => (
              <li key={entry.id}>
                <strong>{entry.name}</strong>
                {entry.message ? <blockquote className="support-message">{entry.message}</blockquote> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  )
}
