import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getDonorWallNeedsApproval, listDonorWallForModeration, moderateDonorWallEntry, setDonorWallNeedsApproval } from '~/models/donor-wall.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { formatDateTime } from '~/utils/i18n.ts'
import { roleAtLeast } from '~/utils/roles.ts'

const TABS = ['pending', 'approved', 'hidden'] as const

// Editors moderate entries as they do messages of support; whether new ones wait is a setting (managers).
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const wanted = new URL(request.url).searchParams.get('status')
  const status = TABS.find((s) => s === wanted) ?? 'pending'
  const [entries, needsApproval] = await Promise.all([listDonorWallForModeration(context.db, { campaignId: campaign.id, status }), getDonorWallNeedsApproval(context.db, { campaignId: campaign.id })])
  return { status, entries, needsApproval, canChangeSetting: roleAtLeast(role, 'manager'), lang: context.lang }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const formData = await request.formData()
  const intent = formData.get('intent')
  const t = getT(context.lang)
  if (intent === 'setting') {
    const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'manager')
    await setDonorWallNeedsApproval(context.db, { actorId: organizer.id, campaignId: campaign.id, needsApproval: formData.get('needsApproval') === 'on' })
    return { error: null, saved: true }
  }
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  if (intent !== 'approve' && intent !== 'hide') return data({ error: t('forms.choose'), saved: false }, { status: 400 })
  const donationId = Number(formData.get('donationId'))
  const ok =
    Number.isSafeInteger(donationId) && donationId > 0 &&
    (await moderateDonorWallEntry(context.db, { actorId: organizer.id, campaignId: campaign.id, donationId, decision: intent === 'approve' ? 'approved' : 'hidden' }))
  if (!ok) return data({ error: t('admin.donorWall.gone'), saved: false }, { status: 400 })
  return { error: null, saved: false }
}

export default function DonorWall() {
  const { status, entries, needsApproval, canChangeSetting, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [searchParams] = useSearchParams()
  const { t } = useTranslation()
  return (
    <section className="admin-section">
      <h2>{t('admin.donorWall.title')}</h2>
      <p className="muted">{t('admin.donorWall.intro')}</p>
      {canChangeSetting ? (
        <Form method="post" className="panel stack" action={`?${searchParams}`}>
          <div className="field field--checkbox">
            <input type="checkbox" id="needs-approval" name="needsApproval" defaultChecked={needsApproval} key={String(needsApproval)} aria-describedby="needs-approval-hint" />
            <label htmlFor="needs-approval">{t('admin.donorWall.needsApproval')}</label>
            <p className="field__hint" id="needs-approval-hint">
              {t('admin.donorWall.needsApprovalHint')}
            </p>
          </div>
          <div>
            <button type="submit" name="intent" value="setting" className="button button--quiet">
              {t('admin.donorWall.save')}
            </button>
            {actionData?.saved ? <span role="status"> {t('admin.donorWall.saved')}</span> : null}
          </div>
        </Form>
      ) : (
        <p>{t(needsApproval ? 'admin.donorWall.policyApproval' : 'admin.donorWall.policyAtOnce')}</p>
      )}
      {actionData?.error ? (
        <p className="notice notice--error" role="alert">
          {actionData.error}
        </p>
      ) : null}
      <nav className="tabs" aria-label={t('admin.donorWall.title')}>
        {TABS.map((s) => (
          <Link key={s} to={`?status=${s}`} aria-current={s === status ? 'page' : undefined}>
            {t(`admin.donorWall.tabs.${s}`)}
          </Link>
        ))}
      </nav>
      {entries.length === 0 ? <p>{t('admin.donorWall.none')}</p> : null}
      <ul className="moderation">
        {entries.map((entry) => (
          <li key={entry.id} className="panel" data-donation={entry.id}>
            <p className="muted">
              {entry.name ?? t('admin.donorWall.noName')}
              {entry.paidAt ? ` · ${formatDateTime(entry.paidAt, lang)}` : null}
            </p>
            {entry.message ? <blockquote className="support-message">{entry.message}</blockquote> : null}
            <Form method="post" className="row" action={`?${searchParams}`}>
              <input type="hidden" name="donationId" value={entry.id} />
              {status !== 'approved' ? (
                <button type="submit" name="intent" value="approve" className="button">
                  {t('admin.donorWall.approve')}
                </button>
              ) : null}
              {status !== 'hidden' ? (
                <button type="submit" name="intent" value="hide" className="button button--quiet">
                  {t('admin.donorWall.hide')}
                </button>
              ) : null}
            </Form>
          </li>
        ))}
      </ul>
    </section>
  )
}
