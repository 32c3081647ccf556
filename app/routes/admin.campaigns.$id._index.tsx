import { useForm } from '@conform-to/react'
import { ConformForm } from '~/components/ui/field.tsx'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { CampaignSettingsFields, settingsLabels } from '~/components/campaign-settings-fields.tsx'
import { RetentionNotice } from '~/components/retention-notice.tsx'
import { SlugTakenError, updateCampaignSettings } from '~/models/campaigns.server.ts'
import { retentionStateOf } from '~/models/retention.server.ts'
import { getT } from '~/services/i18n.server.ts'
import { requireCampaignRole } from '~/services/session.server.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { campaignSettingsSchema, textLimits } from '~/utils/schemas.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign: c, role } = await requireCampaignRole(request, params.id, 'viewer')
  return {
    lang: context.lang,
    canChange: roleAtLeast(role, 'manager'),
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
    },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(request, params.id, 'manager')
  const t = getT(context.lang)
  const submission = parseWithZod(await request.formData(), { schema: campaignSettingsSchema(t) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  try {
    await updateCampaignSettings({ actorId: organizer.id, campaignId: campaign.id, settings: submission.value })
  } catch (error) {
    if (!(error instanceof SlugTakenError)) throw error
    return data({ result: submission.reply({ fieldErrors: { slug: [t('forms.slugTaken')] } }) }, { status: 400 })
  }
  return redirect(`/admin/campaigns/${campaign.id}?saved=1`)
}

export default function CampaignSettings() {
  const { settings, retention, lang, canChange } = useLoaderData<typeof loader>()
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
    </section>
  )
}
