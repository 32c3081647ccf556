import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { useActionData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { CampaignSettingsFields, settingsLabels } from '~/components/campaign-settings-fields.tsx'
import { ConformForm, TextAreaField, TextField } from '~/components/ui/field.tsx'
import { createCampaign, SlugTakenError } from '~/models/campaigns.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { requireOwner } from '~/workflows/session.server.ts'
import { newCampaignSchema, textLimits } from '~/utils/schemas.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireOwner(context.db, request)
  return null
}

export async function action({ request, context }: ActionFunctionArgs) {
  const organizer = await requireOwner(context.db, request)
  const t = getT(context.lang)
  const submission = parseWithZod(await request.formData(), { schema: newCampaignSchema(t) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const { title, summary, ...settings } = submission.value
  try {
    const id = await createCampaign(context.db, { actor: organizer, settings, text: { title, summary } })
    return redirect(`/admin/campaigns/${id}/text/${settings.defaultLocale}`)
  } catch (error) {
    if (!(error instanceof SlugTakenError)) throw error
    return data({ result: submission.reply({ fieldErrors: { slug: [t('forms.slugTaken')] } }) }, { status: 400 })
  }
}

export default function NewCampaign() {
  const actionData = useActionData<typeof action>()
  const { t, i18n } = useTranslation()
  const [form, fields] = useForm({
    id: 'new-campaign-form',
    lastResult: actionData?.result,
    // Retention left empty: 180 days, or 30 when the organiser ticks "supporters may be at risk".
    defaultValue: { status: 'draft', defaultLocale: i18n.language, currency: 'EUR', confirmationReminder: true },
    constraint: textLimits(newCampaignSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: newCampaignSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <main className="wrap page page--narrow">
      <h1>{t('admin.campaigns.new')}</h1>
      <ConformForm
        form={form}
        className="stack"
        lastResult={actionData?.result}
        summary={{ title: t('admin.text.title'), summary: t('admin.text.summary'), ...settingsLabels(t) }}
      >
        <TextField meta={fields.title} label={t('admin.text.title')} />
        <TextAreaField meta={fields.summary} rows={3} label={t('admin.text.summary')} hint={t('admin.text.summaryHint')} />
        <CampaignSettingsFields fields={fields} isNew />
        <button type="submit" className="button">
          {t('admin.campaigns.create')}
        </button>
      </ConformForm>
    </main>
  )
}
