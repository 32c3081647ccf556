import { useForm } from '@conform-to/react'
import { ConformForm } from '~/components/ui/field.tsx'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { CampaignSettingsFields, settingsLabels } from '~/components/campaign-settings-fields.tsx'
import { RetentionNotice } from '~/components/retention-notice.tsx'
import { setCampaignOpenFromHome, SlugTakenError, updateCampaignSettings } from '~/models/campaigns.server.ts'
import { retentionStateOf } from '~/models/retention.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { campaignSettingsSchema, textLimits } from '~/utils/schemas.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign: c, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  return {
    lang: context.lang,
    canChange: roleAtLeast(role, 'manager'),
    // The home page belongs to the whole team: only owners choose whether it opens this campaign.
    isOwner: role === 'owner',
    openFromHome: c.openFromHome,
    retention: retentionStateOf(c),
    settings: {
      slug: c.slug,
      status: c.status,
      defaultLocale: c.defaultLocale,
      currency: c.currency,
      signatureGoal: c.signatureGoal ?? undefined,
      target: c.target,
      retentionDays: c.retentionDays,
      confirmationReminder: c.confirmationReminder,
      atRisk: c.atRisk,
    },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign, role } = await requireCampaignRole(context.db, request, params.id, 'manager')
  const formData = await request.formData()
  if (formData.get('intent') === 'openFromHome') {
    if (role !== 'owner') throw new Response('Only owners choose what the home page opens.', { status: 403, statusText: 'Forbidden' })
    await setCampaignOpenFromHome(context.db, { actorId: organizer.id, campaignId: campaign.id, open: formData.get('openFromHome') === 'on' })
    return redirect(`/admin/campaigns/${campaign.id}?saved=1`)
  }
  const t = getT(context.lang)
  const submission = parseWithZod(formData, { schema: campaignSettingsSchema(t) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  try {
    await updateCampaignSettings(context.db, { actorId: organizer.id, campaignId: campaign.id, settings: submission.value })
  } catch (error) {
    if (!(error instanceof SlugTakenError)) throw error
    return data({ result: submission.reply({ fieldErrors: { slug: [t('forms.slugTaken')] } }) }, { status: 400 })
  }
  return redirect(`/admin/campaigns/${campaign.id}?saved=1`)
}

export default function CampaignSettings() {
  const { settings, retention, lang, canChange, isOwner, openFromHome } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  const [form, fields] = useForm({
    id: `settings-${settings.slug}`,
    lastResult: actionData?.result,
    defaultValue: settings,
    constraint: textLimits(campaignSettingsSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: campaignSettingsSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <section className="admin-section">
      <h2>{t('admin.settings.title')}</h2>
      <SavedNotice stale={Boolean(actionData)} />
      <RetentionNotice retention={retention} lang={lang} />
      <ConformForm form={form} className="stack" lastResult={actionData?.result} summary={settingsLabels(t)}>
        <CampaignSettingsFields fields={fields} />
        {canChange ? (
          <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
            {t('admin.save')}
          </button>
        ) : (
          <p className="muted">{t('admin.campaignRoles.managersChange')}</p>
        )}
      </ConformForm>
      {isOwner ? (
        <Form method="post" className="stack open-from-home">
          <input type="hidden" name="intent" value="openFromHome" />
          <div className="field field--checkbox">
            <input type="checkbox" id="open-from-home" name="openFromHome" defaultChecked={openFromHome} aria-describedby="open-from-home-hint" />
            <label htmlFor="open-from-home">{t('admin.settings.openFromHome')}</label>
            <p className="field__hint" id="open-from-home-hint">
              {t('admin.settings.openFromHomeHint')}
            </p>
          </div>
          <button type="submit" className="button button--quiet" disabled={navigation.state === 'submitting'}>
            {t('admin.settings.openFromHomeSave')}
          </button>
        </Form>
      ) : null}
    </section>
  )
}
