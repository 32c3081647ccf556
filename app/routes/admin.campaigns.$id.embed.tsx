import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { listFrameOrigins, saveFrameOrigins } from '~/models/embed.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { EMBED_HEIGHT_MESSAGE, embedSnippet, embedUrl, resizeListener, type EmbedPanel } from '~/utils/embed.ts'
import { MAX_FRAME_ORIGINS, parseOriginList } from '~/utils/embed-origins.ts'
import { isLanguage, LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { pickTranslation } from '~/utils/translations.ts'

const PANELS: EmbedPanel[] = ['petition', 'donate']
const MAX_TEXT = 8000

// The snippet is public (it names a public page): anyone on the campaign may copy it; managers decide who may frame it.
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const { publicUrl } = getEnv()
  const search = new URL(request.url).searchParams
  const wanted = search.get('language')
  const previewLang = isLanguage(wanted) ? wanted : context.lang
  const previewPanel: EmbedPanel = search.get('panel') === 'donate' ? 'donate' : 'petition'
  const titleIn = (lang: (typeof LANGUAGES)[number]) => pickTranslation(campaign.translations, lang, campaign.defaultLocale, (tr) => tr.title !== '')?.title ?? campaign.slug
  const snippets = PANELS.map((panel) => ({
    panel,
    languages: LANGUAGES.map((lang) => ({ lang, html: embedSnippet({ publicUrl, slug: campaign.slug, lang, panel, title: titleIn(lang) }) })),
  }))
  return {
    slug: campaign.slug,
    isPublic: campaign.status !== 'draft',
    origins: await listFrameOrigins(context.db, { campaignId: campaign.id }),
    canEdit: roleAtLeast(role, 'manager'),
    snippets,
    listener: resizeListener(publicUrl),
    campaignUrl: `${publicUrl}/c/${campaign.slug}`,
    publicUrl,
    preview: { lang: previewLang, panel: previewPanel, src: embedUrl({ publicUrl: '', slug: campaign.slug, lang: previewLang, panel: previewPanel }), title: titleIn(previewLang) },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const t = getT(context.lang)
  const text = String((await request.formData()).get('origins') ?? '')
  if (text.length > MAX_TEXT) return data({ text: text.slice(0, MAX_TEXT), errors: [t('admin.embed.tooLong')] }, { status: 400 })
  const parsed = parseOriginList(text)
  const errors = parsed.errors.map((e) => t(`admin.embed.problems.${e.problem}`, { line: e.line, value: e.value }))
  if (parsed.tooMany) errors.push(t('admin.embed.tooMany', { max: MAX_FRAME_ORIGINS }))
  if (errors.length > 0) return data({ text, errors }, { status: 400 })
  await saveFrameOrigins(context.db, { actorId: organizer.id, campaignId: campaign.id, origins: parsed.origins })
  throw redirect(`/admin/campaigns/${campaign.id}/embed?saved=1`)
}

/** The preview sizes itself as the snippet's listener would on a site's page. */
function usePreviewHeight() {
  const frame = useRef<HTMLIFrameElement>(null)
  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: unknown; height?: unknown } | null
      if (event.origin !== window.location.origin || data?.type !== EMBED_HEIGHT_MESSAGE || typeof data.height !== 'number') return
      if (frame.current && event.source === frame.current.contentWindow) frame.current.style.height = `${Math.ceil(data.height)}px`
    }
    window.addEventListener('message', onMessage)
    return () => window.removeEventListener('message', onMessage)
  }, [])
  return frame
}

export default function EmbedAdmin() {
  const { slug, isPublic, origins, canEdit, snippets, listener, campaignUrl, publicUrl, preview } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const previewFrame = usePreviewHeight()
  return (
    <section className="admin-section stack">
      <h2>{t('admin.embed.title')}</h2>
      <p>{t('admin.embed.intro')}</p>
      <SavedNotice />
      <div className="panel stack">
        <h3>{t('admin.embed.originsTitle')}</h3>
        {canEdit ? (
          <Form method="post" className="stack">
            {actionData?.errors?.length ? (
              <div className="notice notice--error" role="alert" id="origins-errors" tabIndex={-1}>
                <p>{t('admin.embed.errorsTitle')}</p>
                <ul>
                  {actionData.errors.map((error, i) => (
                    <li key={i}>{error}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            <div className="field">
              <label htmlFor="origins">{t('admin.embed.originsLabel')}</label>
              <p className="field__hint" id="origins-hint">
                {t('admin.embed.originsHint', { max: MAX_FRAME_ORIGINS })}
              </p>
              <textarea
                id="origins"
                name="origins"
                rows={5}
                maxLength={MAX_TEXT}
                spellCheck={false}
                autoCapitalize="off"
                aria-describedby={actionData?.errors?.length ? 'origins-hint origins-errors' : 'origins-hint'}
                aria-invalid={actionData?.errors?.length ? true : undefined}
                defaultValue={actionData?.text ?? origins.join('\n')}
                key={actionData?.text ?? origins.join('\n')}
                placeholder="https://magazine.example.org"
              />
            </div>
            <div>
              <button type="submit" className="button">
                {t('admin.embed.save')}
              </button>
            </div>
          </Form>
        ) : origins.length > 0 ? (
          <ul>
            {origins.map((origin) => (
              <li key={origin}>
                <code>{origin}</code>
              </li>
            ))}
          </ul>
        ) : null}
        {origins.length === 0 ? <p className="notice">{t('admin.embed.noneYet')}</p> : null}
        {!canEdit ? <p className="muted">{t('admin.embed.managersOnly')}</p> : null}
      </div>

      <div className="panel stack">
        <h3>{t('admin.embed.snippetTitle')}</h3>
        <p>{t('admin.embed.snippetIntro')}</p>
        {snippets.map(({ panel, languages }) => (
          <div key={panel} className="stack">
            <h4>{t(`admin.embed.panels.${panel}`)}</h4>
            {languages.map(({ lang, html }) => (
              <div key={lang} className="field">
                <label htmlFor={`snippet-${panel}-${lang}`}>{LANGUAGE_NAMES[lang]}</label>
                <textarea id={`snippet-${panel}-${lang}`} className="embed-admin__snippet" readOnly rows={4} value={html} data-snippet={`${panel}-${lang}`} />
              </div>
            ))}
          </div>
        ))}
        <div className="field">
          <label htmlFor="snippet-listener">{t('admin.embed.listenerLabel')}</label>
          <p className="field__hint" id="snippet-listener-hint">
            {t('admin.embed.listenerHint')}
          </p>
          <textarea id="snippet-listener" className="embed-admin__snippet" readOnly rows={10} value={listener} aria-describedby="snippet-listener-hint" />
        </div>
        <p className="muted">
          {t('admin.embed.oembed')} <code className="embed-admin__address">{`${publicUrl}/oembed?url=${encodeURIComponent(campaignUrl)}`}</code>
        </p>
        <p className="muted">
          {t('admin.embed.countJson')} <code className="embed-admin__address">{`${publicUrl}/c/${slug}/count.json`}</code>
        </p>
      </div>

      <div className="panel stack">
        <h3>{t('admin.embed.previewTitle')}</h3>
        <nav className="row" aria-label={t('admin.embed.previewTitle')}>
          {PANELS.map((panel) =>
            LANGUAGES.map((lang) => (
              <Link key={`${panel}-${lang}`} to={`?panel=${panel}&language=${lang}`} aria-current={panel === preview.panel && lang === preview.lang ? 'page' : undefined}>
                {`${t(`admin.embed.panels.${panel}`)} · ${LANGUAGE_NAMES[lang]}`}
              </Link>
            )),
          )}
        </nav>
        {isPublic ? (
          <iframe ref={previewFrame} className="embed-admin__preview" src={preview.src} title={preview.title} loading="lazy" />
        ) : (
          <p className="notice">{t('admin.embed.previewDraft')}</p>
        )}
      </div>
    </section>
  )
}
