import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type AppLoadContext, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation, useRevalidator, useSubmit } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { EmailFrame } from '~/components/email-frame.tsx'
import { CheckboxField, ConformForm, SelectField } from '~/components/ui/field.tsx'
import { listFundsForAdmin } from '~/models/funds.server.ts'
import { publicationState } from '~/models/timeline.server.ts'
import { getUpdateForCompose, queueUpdateTest } from '~/models/update-compose.server.ts'
import { countAudience, getSendProgress, startUpdateSend } from '~/models/update-sends.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { formatDateTime, formatNumber, isLanguage, LANGUAGE_NAMES, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { updateAudienceSchema, textLimits } from '~/utils/schemas.ts'

/** Progress is re-read this often while a send is under way (with JavaScript; a meta refresh without). */
const REFRESH_SECONDS = 2

async function requireUpdate(db: AppLoadContext['db'], request: Request, params: { id?: string; updateId?: string }) {
  const { organizer, campaign, role } = await requireCampaignRole(db, request, params.id, 'editor')
  const update = await getUpdateForCompose(db, { campaignId: campaign.id, updateId: Number(params.updateId) })
  if (!update) throw new Response('Update not found', { status: 404 })
  return { organizer, campaign, update, role }
}

async function campaignFunds(db: LoaderFunctionArgs['context']['db'], campaign: { id: number; defaultLocale: Language }, lang: Language) {
  return (await listFundsForAdmin(db, { campaignId: campaign.id, lang, defaultLocale: campaign.defaultLocale })).map((f) => ({ id: f.id, title: f.title }))
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { organizer, campaign, update, role } = await requireUpdate(context.db, request, params)
  const url = new URL(request.url)
  const locales = update.translations.map((tr) => tr.locale)
  // The text each language's recipients get: their own, else the campaign's main language, else any.
  const textFor = (l: Language) => (locales.includes(l) ? l : locales.includes(campaign.defaultLocale) ? campaign.defaultLocale : (locales[0] ?? l))
  const wantedPreview = url.searchParams.get('preview')
  const common = {
    campaignId: campaign.id,
    updateId: update.id,
    lang: context.lang,
    title: pickTranslation(update.translations, context.lang, campaign.defaultLocale)?.title ?? '',
    state: publicationState(update.publishedAt),
    publishedAt: update.publishedAt,
    textFor: Object.fromEntries(LANGUAGES.map((l) => [l, textFor(l)])) as Record<Language, Language>,
    previewLang: isLanguage(wantedPreview) ? wantedPreview : textFor(context.lang),
    organizerEmail: organizer.email,
    // Editors draft and test an update; a manager sends it (ADR 011).
    maySend: roleAtLeast(role, 'manager'),
    demo: getEnv().mode === 'demo',
    tested: url.searchParams.get('tested'),
  }
  if (update.send) {
    return { ...common, send: { ...update.send, progress: await getSendProgress(context.db, { updateId: update.id }) }, compose: null }
  }
  // The audience chosen in the form (a GET: the count follows every change), else consenting signers.
  const chosen = url.searchParams.has('donors') ? parseWithZod(url.searchParams, { schema: updateAudienceSchema(getT(context.lang)) }) : null
  const audience = chosen ? (chosen.status === 'success' ? chosen.value : null) : ({ signers: true, donors: 'none' } as const)
  return {
    ...common,
    send: null,
    compose: {
      funds: await campaignFunds(context.db, campaign, context.lang),
      audience,
      lastResult: chosen?.status === 'error' ? chosen.reply() : undefined,
      count: audience ? await countAudience(context.db, { campaignId: campaign.id, audience }) : null,
    },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign, update, role } = await requireUpdate(context.db, request, params)
  const t = getT(context.lang)
  const formData = await request.formData()
  const here = `/admin/campaigns/${campaign.id}/updates/${update.id}/send`
  if (formData.get('intent') === 'test') {
    const wanted = formData.get('locale')
    const locale = isLanguage(wanted) ? wanted : campaign.defaultLocale
    await queueUpdateTest(context.db, { organizer, campaignId: campaign.id, updateId: update.id, locale })
    return redirect(`${here}?preview=${locale}&tested=${locale}`)
  }
  // Editors draft and test updates; sending one to supporters is for managers.
  if (!roleAtLeast(role, 'manager')) throw new Response('Your role on this campaign does not allow this.', { status: 403, statusText: 'Forbidden' })
  const submission = parseWithZod(formData, { schema: updateAudienceSchema(t) })
  // A refused Send re-renders the form as posted (without JavaScript, from this answer): its
  // count is that audience's, or none when there is no valid one, never the loader's default.
  if (submission.status !== 'success') return data({ result: submission.reply(), notice: null, count: null }, { status: 400 })
  const audience = submission.value
  if (audience.donors === 'fund' && !(await campaignFunds(context.db, campaign, context.lang)).some((f) => f.id === audience.fundId)) {
    return data({ result: submission.reply({ fieldErrors: { fundId: [t('admin.updates.errors.fund')] } }), notice: null, count: null }, { status: 400 })
  }
  // Sending cannot be undone: the first Send answers with the number it would reach, and only the
  // answer to that question (a form of its own, so it works without JavaScript) sends.
  if (formData.get('confirmed') !== 'yes') {
    if (update.send) return data({ result: undefined, notice: 'alreadySent' as const }, { status: 409 })
    if (publicationState(update.publishedAt) !== 'published') return data({ result: undefined, notice: 'unpublished' as const }, { status: 409 })
    const count = await countAudience(context.db, { campaignId: campaign.id, audience })
    if (count.total === 0) return data({ result: submission.reply({ formErrors: [t('admin.updates.errors.empty')] }), notice: null, count }, { status: 400 })
    return data({ result: undefined, notice: null, confirm: { total: count.total, audience } })
  }
  const started = await startUpdateSend(context.db, { updateId: update.id, campaignId: campaign.id, audience, organizerId: organizer.id })
  switch (started.status) {
    case 'started':
      return redirect(here)
    case 'empty':
      return data(
        { result: submission.reply({ formErrors: [t('admin.updates.errors.empty')] }), notice: null, count: await countAudience(context.db, { campaignId: campaign.id, audience }) },
        { status: 400 },
      )
    case 'already-sent':
      return data({ result: undefined, notice: 'alreadySent' as const }, { status: 409 })
    case 'unpublished':
      return data({ result: undefined, notice: 'unpublished' as const }, { status: 409 })
  }
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

export default function SendUpdate() {
  const page = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const { campaignId, updateId, state, publishedAt, lang } = page
  return (
    <section className="admin-section admin-section--wide update-send">
      <p>
        <Link to={`/admin/campaigns/${campaignId}/timeline/${updateId}`}>← {t('admin.timeline.edit')}</Link>
      </p>
      <h2>{t('admin.updates.title', { title: page.title })}</h2>
      {actionData?.notice ? (
        <p className="notice notice--error" role="alert">
          {t(`admin.updates.notices.${actionData.notice}`)}
        </p>
      ) : null}
      {page.tested ? (
        <p className="notice notice--success" role="status">
          {t('admin.updates.test.sent', { email: page.organizerEmail, language: LANGUAGE_NAMES[isLanguage(page.tested) ? page.tested : 'en'] })}{' '}
          {page.demo ? <Link to="/admin/outbox">{t('admin.updates.test.outbox')}</Link> : null}
        </p>
      ) : null}
      {state !== 'published' && !page.send ? (
        <p className="notice" role="note">
          {state === 'scheduled' && publishedAt !== null
            ? t('admin.updates.notPublished.scheduled', { when: formatDateTime(publishedAt, lang) })
            : t('admin.updates.notPublished.draft')}
        </p>
      ) : null}
      {page.send ? (
        <SendProgress send={page.send} lang={lang} />
      ) : actionData && 'confirm' in actionData ? (
        <ConfirmSend confirm={actionData.confirm} lang={lang} />
      ) : page.compose ? (
        <AudienceForm
          page={page}
          compose={page.compose}
          lastResult={actionData?.result}
          // Until the next navigation (with JavaScript, the recount after any change), a refused Send's own count.
          count={actionData && 'count' in actionData ? actionData.count : page.compose.count}
        />
      ) : null}
      <Preview page={page} />
      <TestSend page={page} />
    </section>
  )
}

function AudienceForm({
  page,
  compose,
  lastResult,
  count,
}: {
  page: LoaderData
  compose: NonNullable<LoaderData['compose']>
  lastResult?: SubmissionResult<string[]>
  count: NonNullable<LoaderData['compose']>['count']
}) {
  const { t } = useTranslation()
  const submit = useSubmit()
  const navigation = useNavigation()
  const chosen = compose.audience
  const [form, fields] = useForm({
    id: `update-audience-${page.updateId}`,
    lastResult: lastResult ?? compose.lastResult,
    defaultValue: {
      signers: chosen ? chosen.signers : true,
      donors: chosen?.donors ?? 'none',
      fundId: chosen?.donors === 'fund' ? chosen.fundId : compose.funds[0]?.id,
    },
    constraint: textLimits(updateAudienceSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: updateAudienceSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  const sending = navigation.state === 'submitting' && navigation.formMethod?.toUpperCase() === 'POST'
  const canSend = page.maySend && page.state === 'published' && count !== null && count.total > 0
  const donorOptions = (['none', 'campaign', ...(compose.funds.length ? ['fund'] : [])] as const).map((value) => ({ value, label: t(`admin.updates.audience.donors.${value}`) }))
  return (
    <section className="panel stack admin-panel" aria-labelledby="audience-title">
      <h3 id="audience-title">{t('admin.updates.audience.title')}</h3>
      <ConformForm
        form={form}
        className="stack"
        // Without JavaScript the page lands on this summary; with it, only a Send refused by the
        // server takes the focus (a recount on every change must not pull it from the field).
        summary={{ signers: t('admin.updates.audience.signers'), donors: t('admin.updates.audience.donors.label'), fundId: t('admin.updates.audience.fund') }}
        lastResult={lastResult}
        // With JavaScript the count follows each change; without, the Count button does it.
        onChange={(event) => submit(event.currentTarget, { method: 'get', replace: true, preventScrollReset: true })}
      >
        <input type="hidden" name="preview" value={page.previewLang} />
        <CheckboxField meta={fields.signers} label={t('admin.updates.audience.signers')} hint={t('admin.updates.audience.consentHint')} />
        <div className="row">
          <SelectField meta={fields.donors} label={t('admin.updates.audience.donors.label')} options={donorOptions} />
          {compose.funds.length ? (
            <SelectField meta={fields.fundId} label={t('admin.updates.audience.fund')} options={compose.funds.map((f) => ({ value: String(f.id), label: f.title }))} />
          ) : null}
        </div>
        <AudienceCount count={count} page={page} />
        <div className="row">
          <button type="submit" name="intent" value="count" formMethod="get" className="button button--quiet">
            {t('admin.updates.audience.recount')}
          </button>
          <button type="submit" name="intent" value="send" className="button" disabled={!canSend || sending}>
            {sending ? t('admin.updates.send.sending') : t('admin.updates.send.button', { count: count?.total ?? 0, n: formatNumber(count?.total ?? 0, page.lang) })}
          </button>
        </div>
        <p className="field__hint">{t(page.maySend ? 'admin.updates.send.once' : 'admin.updates.send.managersOnly')}</p>
      </ConformForm>
    </section>
  )
}

/** "Send to 1,284 supporters? This cannot be undone.": the step between Send and sending. */
function ConfirmSend({ confirm, lang }: { confirm: { total: number; audience: { signers: boolean; donors: string; fundId?: number } }; lang: Language }) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  const location = useLocation()
  const heading = useRef<HTMLHeadingElement>(null)
  // With JavaScript the question replaces the form in place: move focus to it, as a page load would.
  useEffect(() => heading.current?.focus(), [])
  const n = formatNumber(confirm.total, lang)
  const { audience } = confirm
  return (
    <section className="panel stack admin-panel confirm-send" aria-labelledby="confirm-send-title" data-testid="confirm-send">
      <h3 id="confirm-send-title" tabIndex={-1} ref={heading}>
        {t('admin.updates.send.confirmTitle')}
      </h3>
      <p className="confirm-send__question">
        <strong>{t('admin.updates.send.confirm', { count: confirm.total, n })}</strong>
      </p>
      <Form method="post" className="row">
        <input type="hidden" name="intent" value="send" />
        <input type="hidden" name="confirmed" value="yes" />
        {audience.signers ? <input type="hidden" name="signers" value="on" /> : null}
        <input type="hidden" name="donors" value={audience.donors} />
        {audience.fundId ? <input type="hidden" name="fundId" value={String(audience.fundId)} /> : null}
        <button type="submit" className="button button--danger" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? t('admin.updates.send.sending') : t('admin.updates.send.confirmYes', { count: confirm.total, n })}
        </button>
        <Link to={`${location.pathname}${location.search}`} replace className="button button--quiet">
          {t('admin.updates.send.confirmNo')}
        </Link>
      </Form>
    </section>
  )
}

function AudienceCount({ count, page }: { count: NonNullable<LoaderData['compose']>['count']; page: LoaderData }) {
  const { t } = useTranslation()
  if (!count) return null
  return (
    <div aria-live="polite">
      <p className="audience-total">
        <strong data-testid="audience-total">{t('admin.updates.audience.total', { count: count.total, n: formatNumber(count.total, page.lang) })}</strong>
      </p>
      <table className="table audience-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.updates.audience.language')}</th>
            <th scope="col">{t('admin.updates.audience.people')}</th>
            <th scope="col">{t('admin.updates.audience.text')}</th>
          </tr>
        </thead>
        <tbody>
          {LANGUAGES.map((l) => (
            <tr key={l} data-locale={l}>
              <th scope="row">{LANGUAGE_NAMES[l]}</th>
              <td className="audience-count">{formatNumber(count.byLocale[l], page.lang)}</td>
              <td>{page.textFor[l] === l ? t('admin.updates.audience.ownText') : t('admin.updates.audience.fallbackText', { language: LANGUAGE_NAMES[page.textFor[l]] })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function SendProgress({ send, lang }: { send: NonNullable<LoaderData['send']>; lang: Language }) {
  const { t } = useTranslation()
  const revalidator = useRevalidator()
  const progress = send.progress
  const remaining = progress?.remaining ?? 0
  useEffect(() => {
    if (remaining <= 0) return
    const timer = setTimeout(() => revalidator.revalidate(), REFRESH_SECONDS * 1000)
    return () => clearTimeout(timer)
  }, [progress, remaining, revalidator])
  if (!progress) return null
  const done = progress.sent + progress.failed
  const percent = new Intl.NumberFormat(lang, { style: 'percent' }).format(progress.recipients ? done / progress.recipients : 1)
  const n = (value: number) => formatNumber(value, lang)
  return (
    <section className="panel stack admin-panel" aria-labelledby="progress-title">
      {remaining > 0 ? (
        <noscript>
          <meta httpEquiv="refresh" content={String(REFRESH_SECONDS)} />
        </noscript>
      ) : null}
      <h3 id="progress-title">{remaining > 0 ? t('admin.updates.progress.sending') : t('admin.updates.progress.done')}</h3>
      <p className="muted">
        {t('admin.updates.progress.started', { when: formatDateTime(send.createdAt, lang), who: send.createdBy ?? t('admin.audit.system'), count: send.recipients, n: n(send.recipients) })}
      </p>
      <progress className="send-progress" max={Math.max(progress.recipients, 1)} value={progress.recipients ? done : 1} aria-labelledby="progress-title" />
      <p className="send-percent" data-testid="send-percent">
        {percent}
      </p>
      <dl className="stats">
        <div>
          <dt>{t('admin.updates.progress.sent')}</dt>
          <dd data-testid="progress-sent">{n(progress.sent)}</dd>
        </div>
        <div>
          <dt>{t('admin.updates.progress.failed')}</dt>
          <dd data-testid="progress-failed">{n(progress.failed)}</dd>
        </div>
        <div>
          <dt>{t('admin.updates.progress.remaining')}</dt>
          <dd data-testid="progress-remaining">{n(progress.remaining)}</dd>
        </div>
      </dl>
      <h4>{t('admin.updates.results.title')}</h4>
      <p className="field__hint">{t('admin.updates.results.hint')}</p>
      <dl className="stats">
        {(['delivered', 'bounced', 'complained', 'unsubscribed'] as const).map((key) => (
          <div key={key}>
            <dt>{t(`admin.updates.results.${key}`)}</dt>
            <dd data-testid={`result-${key}`}>{n(progress[key])}</dd>
          </div>
        ))}
      </dl>
    </section>
  )
}

function Preview({ page }: { page: LoaderData }) {
  const { t } = useTranslation()
  const location = useLocation()
  const linkFor = (l: Language) => {
    const search = new URLSearchParams(location.search)
    search.set('preview', l)
    search.delete('tested')
    return `?${search}`
  }
  const src = `/admin/campaigns/${page.campaignId}/updates/${page.updateId}/preview.html?lang=${page.previewLang}`
  const title = t('admin.updates.preview.frame', { language: LANGUAGE_NAMES[page.previewLang] })
  return (
    <section className="stack" aria-labelledby="preview-title">
      <h3 id="preview-title">{t('admin.updates.preview.title')}</h3>
      <nav className="tabs" aria-label={t('admin.updates.preview.languages')}>
        {LANGUAGES.map((l) => (
          <Link key={l} to={linkFor(l)} replace preventScrollReset aria-current={l === page.previewLang ? 'page' : undefined}>
            {LANGUAGE_NAMES[l]}
          </Link>
        ))}
      </nav>
      {page.textFor[page.previewLang] !== page.previewLang ? (
        <p className="muted">{t('admin.updates.audience.fallbackText', { language: LANGUAGE_NAMES[page.textFor[page.previewLang]] })}</p>
      ) : null}
      <div className="email-previews">
        <figure className="email-preview email-preview--desktop">
          <figcaption>{t('admin.updates.preview.desktop')}</figcaption>
          <EmailFrame title={`${title} — ${t('admin.updates.preview.desktop')}`} src={src} />
        </figure>
        <figure className="email-preview email-preview--phone">
          <figcaption>{t('admin.updates.preview.phone')}</figcaption>
          <EmailFrame className="email-frame email-frame--phone" title={`${title} — ${t('admin.updates.preview.phone')}`} src={src} />
        </figure>
      </div>
    </section>
  )
}

function TestSend({ page }: { page: LoaderData }) {
  const { t } = useTranslation()
  const navigation = useNavigation()
  return (
    <section className="panel stack admin-panel" aria-labelledby="test-title">
      <h3 id="test-title">{t('admin.updates.test.title')}</h3>
      <Form method="post" className="row" id={`update-test-${page.updateId}`}>
        <input type="hidden" name="intent" value="test" />
        <div className="field">
          <label htmlFor={`update-test-${page.updateId}-locale`}>{t('admin.updates.test.language')}</label>
          <select id={`update-test-${page.updateId}-locale`} name="locale" defaultValue={page.previewLang} key={page.previewLang}>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button--quiet" disabled={navigation.state === 'submitting'}>
          {t('admin.updates.test.button')}
        </button>
      </Form>
      <p className="field__hint">{t('admin.updates.test.hint', { email: page.organizerEmail })}</p>
    </section>
  )
}
