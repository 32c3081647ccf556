import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { EmailAddress } from '~/components/ui/email-address.tsx'
import { SignaturesChart } from '~/components/signatures-chart.tsx'
import { CountryTable } from '~/components/country-map.tsx'
import { ConformForm, TextField } from '~/components/ui/field.tsx'
import {
  invalidateSignatures,
  listSignatures,
  previewInvalidation,
  searchKind,
  signaturesPerDay,
  signatureTotals,
  type SignatureFilter,
} from '~/models/signatures-admin.server.ts'
import { campaignTitleFor } from '~/models/campaigns.server.ts'
import { listCountryCounters } from '~/models/counters.server.ts'
import { renderCountryMap } from '~/utils/country-map.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { countryName, countryOptions, isCountryCode } from '~/utils/countries.ts'
import { formatDateTime, formatNumber } from '~/utils/i18n.ts'
import { invalidationSchema, isCalendarDate, textLimits } from '~/utils/schemas.ts'

const STATUSES = ['pending', 'confirmed', 'invalidated'] as const

function readFilter(url: URL): SignatureFilter {
  const p = url.searchParams
  const status = p.get('status')
  const country = p.get('country')
  const date = (v: string | null) => (v && isCalendarDate(v) ? v : undefined)
  return {
    // No name or address holds a NUL (and Postgres refuses one in a query): such a search finds what the rest finds.
    q: p.get('q')?.replaceAll('\0', '').slice(0, 100) || undefined,
    status: STATUSES.find((s) => s === status),
    country: isCountryCode(country) ? country : undefined,
    from: date(p.get('from')),
    to: date(p.get('to')),
  }
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const url = new URL(request.url)
  // Viewers see the counts and the chart; editors and managers the signers' names too; only
  // owners their email addresses, and only owners may search by one (whole address) (ADR 011).
  const showSigners = roleAtLeast(role, 'editor')
  const showEmails = role === 'owner'
  const filter = showSigners ? readFilter(url) : {}
  const before = Number(url.searchParams.get('before')) || undefined
  const [page, totals, perDay, byCountry, title] = await Promise.all([
    showSigners ? listSignatures(context.db, { campaignId: campaign.id, filter, before, searchEmails: showEmails }) : { rows: [], nextBefore: null },
    signatureTotals(context.db, { campaignId: campaign.id }),
    signaturesPerDay(context.db, { campaignId: campaign.id }),
    listCountryCounters(context.db, campaign.id),
    campaignTitleFor(context.db, campaign.id, context.lang),
  ])
  return {
    campaignId: campaign.id,
    atRisk: campaign.atRisk,
    lang: context.lang,
    filter,
    totals,
    perDay,
    // Counts only (no names): every role sees the map, drafts too, inlined (the public map.svg is for public campaigns).
    byCountry,
    countryMap:
      byCountry.length > 0 ? renderCountryMap({ counts: byCountry, lang: context.lang, title: getT(context.lang)('countryMap.svgTitle', { title }), idPrefix: 'admin-map' }) : null,
    showEmails,
    showSigners,
    // Names are sealed and found by whole words only (ADR 017): an empty answer to a name search says why.
    nameSearch: showSigners && searchKind(filter.q, showEmails) === 'name-words',
    canInvalidate: roleAtLeast(role, 'manager'),
    countries: countryOptions(context.lang),
    nextBefore: page.nextBefore,
    rows: page.rows.map((r) => ({
      ...r,
      email: showEmails ? r.email : null,
      countryName: countryName(r.country, context.lang),
      ipHash: r.ipHash?.slice(0, 12) ?? null,
    })),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign, role } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const t = getT(context.lang)
  const formData = await request.formData()
  const submission = parseWithZod(formData, { schema: invalidationSchema(t) })
  if (submission.status !== 'success') return data({ result: submission.reply(), preview: null, invalidated: null }, { status: 400 })
  const { reason, ids, ...rest } = submission.value
  // Counting matches of a domain would tell a manager who signed from which address: owners only.
  if (rest.emailDomain && role !== 'owner') throw new Response('Only owners can filter by email.', { status: 403, statusText: 'Forbidden' })
  const filter = { ...rest, signatureIds: ids }
  if (formData.get('intent') === 'preview') {
    return { result: submission.reply(), preview: await previewInvalidation(context.db, { campaignId: campaign.id, filter }), invalidated: null }
  }
  const invalidated = await invalidateSignatures(context.db, { actorId: organizer.id, campaignId: campaign.id, filter, reason })
  return { result: submission.reply({ resetForm: true }), preview: null, invalidated }
}

export default function Signatures() {
  const { campaignId, atRisk, lang, filter, totals, perDay, byCountry, countryMap, rows, nextBefore, countries, showEmails, showSigners, nameSearch, canInvalidate } =
    useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [searchParams] = useSearchParams()
  const { t } = useTranslation()
  const [form, fields] = useForm({
    id: `invalidate-${campaignId}`,
    lastResult: actionData?.result,
    constraint: textLimits(invalidationSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: invalidationSchema(t) }),
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
  })
  const older = new URLSearchParams(searchParams)
  if (nextBefore) older.set('before', String(nextBefore))
  return (
    <section className="admin-section admin-section--wide">
      <h2>{t('admin.signatures.title')}</h2>
      <dl className="stats">
        <div>
          <dt>{t('admin.signatures.confirmed')}</dt>
          <dd>{formatNumber(totals.confirmed, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.signatures.pending')}</dt>
          <dd>{formatNumber(totals.pending, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.signatures.conversion')}</dt>
          <dd>{totals.conversion === null ? '—' : `${Math.round(totals.conversion * 100)} %`}</dd>
        </div>
      </dl>
      <SignaturesChart days={perDay} lang={lang} />
      {showSigners ? null : <p className="muted">{t('admin.signatures.viewerOnly')}</p>}
      {canInvalidate ? (
        <p className="row">
          <a className="button button--quiet" href={`/admin/campaigns/${campaignId}/export.csv`}>
            {t('admin.signatures.exportCsv')}
          </a>
          <a className="button button--quiet" href={`/admin/campaigns/${campaignId}/export.csv?kind=countries`}>
            {t('admin.signatures.exportCountries')}
          </a>
          {atRisk && showEmails ? (
            <a className="button button--quiet" href={`/admin/campaigns/${campaignId}/export.csv?names=1`}>
              {t('atRisk.exportWithNames')}
            </a>
          ) : null}
          {atRisk ? <span className="muted">{t('atRisk.exportWithoutNames')}</span> : showEmails ? null : <span className="muted">{t('admin.signatures.emailsOwnersOnly')}</span>}
        </p>
      ) : null}
      <section className="country-map" aria-labelledby="admin-country-map-title">
        <h3 id="admin-country-map-title">{t('admin.countryMap.title')}</h3>
        {countryMap ? (
          <figure className="chart">
            <div dangerouslySetInnerHTML={{ __html: countryMap }} />
            <CountryTable counts={byCountry} lang={lang} caption={t('admin.countryMap.caption')} />
          </figure>
        ) : (
          <p>{t('admin.countryMap.none')}</p>
        )}
      </section>
      {showSigners ? (
        <>
          <Form method="get" className="filters row">
            <div className="field">
              <label htmlFor="q">{t(showEmails ? 'admin.signatures.searchOwner' : 'admin.signatures.searchNames')}</label>
              <p className="field__hint" id="q-hint">
                {t(showEmails ? 'sealedSearch.hintOwner' : 'sealedSearch.hint')}
              </p>
              <input id="q" name="q" type="search" defaultValue={filter.q ?? ''} aria-describedby="q-hint" />
            </div>
            <div className="field">
              <label htmlFor="status">{t('admin.signatures.status')}</label>
              <select id="status" name="status" defaultValue={filter.status ?? ''}>
                <option value="">{t('admin.signatures.all')}</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {t(`admin.signatures.statuses.${s}`)}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="country">{t('petition.country')}</label>
              <select id="country" name="country" defaultValue={filter.country ?? ''}>
                <option value="">{t('admin.signatures.all')}</option>
                {countries.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="from">{t('admin.signatures.from')}</label>
              <input id="from" name="from" type="date" defaultValue={filter.from ?? ''} />
            </div>
            <div className="field">
              <label htmlFor="to">{t('admin.signatures.to')}</label>
              <input id="to" name="to" type="date" defaultValue={filter.to ?? ''} />
            </div>
            <button type="submit" className="button">
              {t('admin.signatures.filter')}
            </button>
          </Form>

          {actionData?.invalidated != null ? (
            <p className="notice notice--success" role="status">
              {t('admin.signatures.invalidated', { count: actionData.invalidated })}
            </p>
          ) : null}

          <ConformForm
            form={form}
            className="stack"
            lastResult={actionData?.result}
            summary={{
              reason: t('admin.signatures.reason'),
              ipHash: t('admin.signatures.ipHash'),
              emailDomain: t('admin.signatures.emailDomain'),
              from: t('admin.signatures.from'),
              to: t('admin.signatures.to'),
            }}
          >
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">{t('admin.signatures.select')}</span>
                  </th>
                  <th scope="col">{t('admin.signatures.when')}</th>
                  <th scope="col">{t('admin.signatures.name')}</th>
                  <th scope="col">{t('petition.country')}</th>
                  <th scope="col">{t('admin.signatures.status')}</th>
                  <th scope="col">{t('admin.signatures.message')}</th>
                  <th scope="col">{t('admin.signatures.ipHash')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td>
                      {r.status !== 'invalidated' ? (
                        <input
                          type="checkbox"
                          name="ids"
                          value={r.id}
                          aria-label={t('admin.signatures.selectRow', { name: r.anonymisedAt ? t('admin.signatures.anonymised') : `${r.firstName} ${r.lastName}` })}
                        />
                      ) : null}
                    </td>
                    <td>{formatDateTime(r.createdAt, lang)}</td>
                    <td>
                      {r.anonymisedAt ? (
                        <span className="muted" title={t('admin.signatures.anonymisedOn', { date: formatDateTime(r.anonymisedAt, lang) })}>
                          {t('admin.signatures.anonymised')}
                        </span>
                      ) : (
                        <>
                          {r.firstName} {r.lastName}
                        </>
                      )}
                      {r.email ? (
                        <div className="muted cell-email">
                          <EmailAddress address={r.email} />
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {r.countryName}
                      {r.postalCode ? <div className="muted">{r.postalCode}</div> : null}
                    </td>
                    <td>
                      <span className={`status status--${r.status}`}>{t(`admin.signatures.statuses.${r.status}`)}</span>
                      {r.invalidationReason ? <div className="muted">{r.invalidationReason}</div> : null}
                    </td>
                    <td className="cell-message">{r.message}</td>
                    <td>
                      <code>{r.ipHash}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {rows.length === 0 ? <p role="status">{t(nameSearch ? 'sealedSearch.noWholeName' : 'admin.signatures.none')}</p> : null}
            {nextBefore ? (
              <p>
                <Link to={`?${older}`}>{t('admin.audit.older')}</Link>
              </p>
            ) : null}

            {canInvalidate ? (
              <fieldset className="panel stack">
                <legend>{t('admin.signatures.invalidateTitle')}</legend>
                <p className="field__hint">{t('admin.signatures.invalidateHint')}</p>
                <div className="row">
                  <TextField meta={fields.ipHash} label={t('admin.signatures.ipHash')} />
                  {showEmails ? <TextField meta={fields.emailDomain} label={t('admin.signatures.emailDomain')} hint={t('sealedSearch.wholeDomain')} /> : null}
                  <TextField meta={fields.from} type="date" label={t('admin.signatures.from')} />
                  <TextField meta={fields.to} type="date" label={t('admin.signatures.to')} />
                </div>
                <TextField meta={fields.reason} label={t('admin.signatures.reason')} />
                {actionData?.preview != null ? (
                  <p className="notice" role="status">
                    {t('admin.signatures.previewCount', { count: actionData.preview })}
                  </p>
                ) : null}
                <div className="row">
                  <button type="submit" name="intent" value="preview" className="button button--quiet">
                    {t('admin.signatures.preview')}
                  </button>
                  <button type="submit" name="intent" value="invalidate" className="button button--danger">
                    {t('admin.signatures.invalidate')}
                  </button>
                </div>
              </fieldset>
            ) : null}
          </ConformForm>
        </>
      ) : null}
    </section>
  )
}
