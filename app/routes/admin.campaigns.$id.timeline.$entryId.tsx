import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { TimelineEntryForm } from '~/components/timeline-entry-form.tsx'
import { requireCampaignForAdmin } from '~/models/campaigns.server.ts'
import { deleteTimelineEntry, getTimelineEntry, saveTimelineEntry } from '~/models/timeline.server.ts'
import { getT } from '~/services/i18n.server.ts'
import { requireOrganizer } from '~/services/session.server.ts'
import { isLanguage, LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { timelineEntrySchema } from '~/utils/schemas.ts'

async function requireEntry(params: { id?: string; entryId?: string }) {
  const campaign = await requireCampaignForAdmin(params.id)
  const entry = await getTimelineEntry({ campaignId: campaign.id, entryId: Number(params.entryId) })
  if (!entry) throw new Response('Timeline entry not found', { status: 404 })
  return { campaign, entry }
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireOrganizer(request)
  const { campaign, entry } = await requireEntry(params)
  const wanted = new URL(request.url).searchParams.get('locale')
  const locale = isLanguage(wanted) ? wanted : (entry.translations[0]?.locale ?? campaign.defaultLocale)
  const text = entry.translations.find((tr) => tr.locale === locale)
  return {
    campaignId: campaign.id,
    entryId: entry.id,
    locale,
    languages: entry.translations.map((tr) => tr.locale),
    value: { happenedOn: entry.happenedOn, locale, title: text?.title ?? '', bodyMd: text?.bodyMd ?? '' },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const organizer = await requireOrganizer(request)
  const { campaign, entry } = await requireEntry(params)
  const formData = await request.formData()
  if (formData.get('intent') === 'delete') {
    await deleteTimelineEntry({ actorId: organizer.id, campaignId: campaign.id, entryId: entry.id })
    return redirect(`/admin/campaigns/${campaign.id}/timeline?saved=1`)
  }
  const submission = parseWithZod(formData, { schema: timelineEntrySchema(getT(context.lang)) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  await saveTimelineEntry({ actorId: organizer.id, campaignId: campaign.id, entryId: entry.id, input: submission.value })
  return redirect(`/admin/campaigns/${campaign.id}/timeline/${entry.id}?locale=${submission.value.locale}&saved=1`)
}

export default function TimelineEntryAdmin() {
  const { campaignId, entryId, locale, languages, value } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <p>
        <Link to={`/admin/campaigns/${campaignId}/timeline`}>← {t('admin.timeline.title')}</Link>
      </p>
      <h2>{t('admin.timeline.edit')}</h2>
      <SavedNotice stale={Boolean(actionData)} />
      <nav className="tabs" aria-label={t('admin.timeline.language')}>
        {LANGUAGES.map((l) => (
          <Link key={l} to={`?locale=${l}`} aria-current={l === locale ? 'page' : undefined}>
            {LANGUAGE_NAMES[l]} {languages.includes(l) ? '' : `(${t('admin.timeline.missing')})`}
          </Link>
        ))}
      </nav>
      <TimelineEntryForm
        key={locale}
        id={`timeline-${entryId}-${locale}`}
        lastResult={actionData?.result}
        defaultValue={value}
        submitLabel={t('admin.save')}
      />
      <Form method="post" className="danger-zone">
        <input type="hidden" name="intent" value="delete" />
        <button type="submit" className="button button--danger">
          {t('admin.timeline.delete')}
        </button>
      </Form>
    </section>
  )
}
