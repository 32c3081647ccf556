import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { countBySource, defaultShareText, listMintedSources, listShareTexts, mintSource, removeSource, saveShareTexts } from '~/models/sources.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { formatMoney, formatNumber, languageName, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { qrCodePath } from '~/utils/print.ts'
import { BUILT_IN_SOURCES, DIRECT_SOURCE, MAX_MINTED_SOURCES, SOURCE_PARAM } from '~/utils/sources.ts'

// Share texts are a few sentences; a messenger preview shows far less.
const SHARE_TEXT_MAX = 500

// Counts only (ADR 011): every role on the campaign reads them; editors change texts and tags.
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const [texts, minted, figures] = await Promise.all([
    listShareTexts(context.db, { campaignId: campaign.id }),
    listMintedSources(context.db, { campaignId: campaign.id }),
    countBySource(context.db, { campaignId: campaign.id }),
  ])
  return {
    campaignId: campaign.id,
    url: `${getEnv().publicUrl}/c/${campaign.slug}`,
    slug: campaign.slug,
    texts: LANGUAGES.map((locale) => {
      const row = texts.find((tr) => tr.locale === locale)
      return { locale, exists: Boolean(row), value: row?.shareText ?? '', placeholder: row ? defaultShareText({ lang: locale, title: row.title }) : '' }
    }),
    minted: minted.map((m) => m.tag),
    // Gifts per tag only for managers (ADR 011: money per donor): an editor could mint a tag for one person and read their gift.
    figures: { signatures: figures.signatures, donations: roleAtLeast(role, 'manager') ? figures.donations : null },
    canEdit: roleAtLeast(role, 'editor'),
    lang: context.lang,
  }
}

type ActionData = { error: string | null; field: 'tag' | 'texts' | null }

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  const back = `/admin/campaigns/${campaign.id}/sharing?saved=1`
  if (intent === 'texts') {
    const texts: Partial<Record<Language, string>> = {}
    for (const locale of LANGUAGES) {
      const value = formData.get(`shareText_${locale}`)
      if (typeof value !== 'string') continue
      if (value.length > SHARE_TEXT_MAX) return data<ActionData>({ error: t('forms.tooLong', { max: SHARE_TEXT_MAX }), field: 'texts' }, { status: 400 })
      texts[locale] = value
    }
    await saveShareTexts(context.db, { actorId: organizer.id, campaignId: campaign.id, texts })
    return redirect(back)
  }
  const tag = formData.get('tag')
  if (intent === 'mint') {
    const outcome = await mintSource(context.db, { actorId: organizer.id, campaignId: campaign.id, tag: typeof tag === 'string' ? tag.trim().toLowerCase() : '' })
    if (outcome === 'minted') return redirect(back)
    const messages = { shape: t('admin.sharing.tagShape'), builtIn: t('admin.sharing.tagBuiltIn'), exists: t('admin.sharing.tagExists'), full: t('admin.sharing.tagFull', { max: MAX_MINTED_SOURCES }) }
    return data<ActionData>({ error: messages[outcome], field: 'tag' }, { status: 400 })
  }
  if (intent === 'remove' && typeof tag === 'string') {
    await removeSource(context.db, { actorId: organizer.id, campaignId: campaign.id, tag })
    return redirect(back)
  }
  return data<ActionData>({ error: t('forms.choose'), field: null }, { status: 400 })
}

export default function Sharing() {
  const { url, slug, texts, minted, figures, canEdit, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  const busy = navigation.state === 'submitting'
  const sourceName = (source: string) => (source === DIRECT_SOURCE ? t('admin.sharing.direct') : source)
  const tagged = (tag: string) => `${url}?${SOURCE_PARAM}=${tag}`
  return (
    <section className="admin-section sharing">
      <h2>{t('admin.sharing.heading')}</h2>
      <SavedNotice stale={Boolean(actionData)} />
      {actionData?.error && actionData.field === null ? (
        <p className="notice notice--error" role="alert">
          {actionData.error}
        </p>
      ) : null}

      <h3>{t('admin.sharing.bySourceHeading')}</h3>
      <p className="muted">{t('admin.sharing.bySourceIntro')}</p>
      <div className="sharing__table">
        <table className="table" data-testid="signatures-by-source">
          <thead>
            <tr>
              <th scope="col">{t('admin.sharing.source')}</th>
              <th scope="col">{t('admin.sharing.signatures')}</th>
            </tr>
          </thead>
          <tbody>
            {figures.signatures.map((row) => (
              <tr key={row.source} data-source={row.source}>
                <th scope="row">{sourceName(row.source)}</th>
                <td>{formatNumber(row.confirmed, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {figures.donations === null ? (
        <p className="muted">{t('admin.sharing.giftsForManagers')}</p>
      ) : figures.donations.length === 0 ? (
        <p className="muted">{t('admin.sharing.noGifts')}</p>
      ) : (
        <div className="sharing__table">
          <table className="table" data-testid="donations-by-source">
            <thead>
              <tr>
                <th scope="col">{t('admin.sharing.source')}</th>
                <th scope="col">{t('admin.sharing.gifts')}</th>
                <th scope="col">{t('admin.sharing.amount')}</th>
              </tr>
            </thead>
            <tbody>
              {figures.donations.map((row) => (
                <tr key={`${row.source}-${row.currency}`} data-source={row.source} data-currency={row.currency}>
                  <th scope="row">{sourceName(row.source)}</th>
                  <td>{formatNumber(row.count, lang)}</td>
                  <td>{formatMoney(row.amountMinor, row.currency, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>{t('admin.sharing.tagsHeading')}</h3>
      <p className="muted">{t('admin.sharing.tagsIntro', { tags: BUILT_IN_SOURCES.join(', ') })}</p>
      {minted.length === 0 ? (
        <p>{t('admin.sharing.none')}</p>
      ) : (
        <ul className="sharing__tags" data-testid="minted-tags">
          {minted.map((tag) => (
            <li key={tag}>
              <label htmlFor={`tag-${tag}`}>
                <code>{tag}</code>
              </label>
              <input id={`tag-${tag}`} className="share-url" readOnly value={tagged(tag)} aria-label={t('admin.sharing.linkFor', { tag })} onFocus={(e) => e.currentTarget.select()} />
              {/* The same link as a QR code, for the team's own flyer or banner (counted under this tag). */}
              <a href={qrCodePath({ slug, source: tag, lang, format: 'svg' })} download>
                {t('admin.print.svg')}
              </a>{' '}
              <a href={qrCodePath({ slug, source: tag, lang, format: 'png' })} download>
                {t('admin.print.png')}
              </a>
              {canEdit ? (
                <Form method="post">
                  <input type="hidden" name="tag" value={tag} />
                  <button type="submit" name="intent" value="remove" className="button button--quiet" aria-label={t('admin.sharing.removeLabel', { tag })} disabled={busy}>
                    {t('admin.sharing.remove')}
                  </button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {canEdit ? (
        <Form method="post" className="stack panel">
          <div className="field">
            <label htmlFor="new-tag">{t('admin.sharing.tagLabel')}</label>
            <p className="field__hint" id="new-tag-hint">
              {t('admin.sharing.tagHint')}
            </p>
            <input
              id="new-tag"
              name="tag"
              type="text"
              maxLength={32}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              aria-describedby={actionData?.field === 'tag' ? 'new-tag-hint new-tag-error' : 'new-tag-hint'}
              aria-invalid={actionData?.field === 'tag' || undefined}
              autoFocus={actionData?.field === 'tag'}
            />
            {actionData?.field === 'tag' ? (
              <ul className="field__errors" id="new-tag-error">
                <li>{actionData.error}</li>
              </ul>
            ) : null}
          </div>
          <div>
            <button type="submit" name="intent" value="mint" className="button" disabled={busy}>
              {t('admin.sharing.mint')}
            </button>
          </div>
        </Form>
      ) : null}

      <h3>{t('admin.sharing.textHeading')}</h3>
      <p className="muted">{t('admin.sharing.textIntro')}</p>
      {actionData?.field === 'texts' ? (
        <p className="notice notice--error" role="alert">
          {actionData.error}
        </p>
      ) : null}
      <Form method="post" className="stack">
        {texts.map((text) => {
          const language = languageName(text.locale, lang)
          return (
            <div className="field" key={text.locale}>
              <label htmlFor={`share-text-${text.locale}`}>{t('admin.sharing.textLabel', { language })}</label>
              {text.exists ? (
                <textarea
                  id={`share-text-${text.locale}`}
                  name={`shareText_${text.locale}`}
                  lang={text.locale}
                  rows={4}
                  maxLength={SHARE_TEXT_MAX}
                  defaultValue={text.value}
                  placeholder={text.placeholder}
                  readOnly={!canEdit}
                />
              ) : (
                <p className="muted" id={`share-text-${text.locale}`}>
                  {t('admin.sharing.noText', { language })}
                </p>
              )}
            </div>
          )
        })}
        {canEdit ? (
          <div>
            <button type="submit" name="intent" value="texts" className="button" disabled={busy}>
              {t('admin.sharing.saveTexts')}
            </button>
          </div>
        ) : null}
      </Form>
    </section>
  )
}
