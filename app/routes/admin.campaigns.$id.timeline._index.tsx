import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { pickTranslation } from '~/utils/translations.ts'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { TimelineEntryForm } from '~/components/timeline-entry-form.tsx'
import { createTimelineEntry, listTimelineForAdmin, publicationState } from '~/models/timeline.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { formatDate, formatDateTime, formatNumber, LANGUAGES } from '~/utils/i18n.ts'
import { newTimelineEntrySchema } from '~/utils/schemas.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const now = Date.now()
  const entries = await listTimelineForAdmin(context.db, { campaignId: campaign.id })
  return {
    campaignId: campaign.id,
    defaultLocale: campaign.defaultLocale,
    lang: context.lang,
    entries: entries.map((entry) => ({ ...entry, state: publicationState(entry.publishedAt, now) })),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const submission = parseWithZod(await request.formData(), { schema: newTimelineEntrySchema(getT(context.lang)) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const entryId = await createTimelineEntry(context.db, { actorId: organizer.id, campaignId: campaign.id, input: submission.value })
  // The new entry's id in the address gives the add form a fresh key: it closes and empties after each save.
  return redirect(`/admin/campaigns/${campaign.id}/timeline?saved=${entryId}`)
}

export default function TimelineAdmin() {
  const { campaignId, defaultLocale, entries, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const saved = useSearchParams()[0].get('saved') ?? ''
  return (
    <section className="admin-section">
      <h2>{t('admin.timeline.title')}</h2>
      <SavedNotice stale={Boolean(actionData)} />
      <details key={`new-entry-${saved}`} className="panel" open={Boolean(actionData) || entries.length === 0}>
        <summary>{t('admin.timeline.add')}</summary>
        <TimelineEntryForm
          id={`timeline-new-${campaignId}`}
          lastResult={actionData?.result}
          defaultValue={{ locale: defaultLocale, happenedOn: new Date().toISOString().slice(0, 10), publish: 'now' }}
          submitLabel={t('admin.timeline.add')}
          withPublication
        />
      </details>
      {entries.length === 0 ? (
        <p>{t('campaign.timelineEmpty')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.timeline.date')}</th>
              <th scope="col">{t('admin.timeline.entryTitle')}</th>
              <th scope="col">{t('admin.timeline.languages')}</th>
              <th scope="col">{t('admin.updates.state')}</th>
              <th scope="col">{t('admin.updates.email')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => {
              const text = pickTranslation(entry.translations, lang, defaultLocale)
              return (
                <tr key={entry.id}>
                  <td>{formatDate(entry.happenedOn, lang)}</td>
                  <td>
                    <Link to={`/admin/campaigns/${campaignId}/timeline/${entry.id}`}>{text?.title ?? '—'}</Link>
                  </td>
                  <td>
                    {LANGUAGES.map((l) =>
                      entry.translations.some((tr) => tr.locale === l) ? (
                        <span key={l} className="tag">
                          {l.toUpperCase()}
                        </span>
                      ) : null,
                    )}
                  </td>
                  <td>
                    <span className={`status status--${entry.state}`}>{t(`admin.updates.states.${entry.state}`)}</span>
                    {entry.state === 'scheduled' && entry.publishedAt ? <div className="muted">{formatDateTime(entry.publishedAt, lang)}</div> : null}
                  </td>
                  <td>
                    <Link to={`/admin/campaigns/${campaignId}/updates/${entry.id}/send`}>
                      {entry.sentTo === null ? t('admin.updates.emailThis') : t('admin.updates.sentTo', { count: entry.sentTo, n: formatNumber(entry.sentTo, lang) })}
                    </Link>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
