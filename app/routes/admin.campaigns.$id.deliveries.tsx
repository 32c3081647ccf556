import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { ConformForm, SelectField, TextAreaField, TextField } from '~/components/ui/field.tsx'
import { deleteDelivery, listDeliveriesForAdmin, listDeliveryChoices, recordDelivery } from '~/models/deliveries.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDate, formatNumber, isLanguage, languageName, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { DELIVERY_METHODS, deliverySchema } from '~/utils/response-schemas.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { textLimits } from '~/utils/schemas.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const [deliveries, choices] = await Promise.all([
    listDeliveriesForAdmin(context.db, { campaignId: campaign.id }),
    listDeliveryChoices(context.db, { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale }),
  ])
  return { campaignId: campaign.id, defaultLocale: campaign.defaultLocale, lang: context.lang, canEdit: roleAtLeast(role, 'editor'), deliveries, ...choices }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const t = getT(context.lang)
  const formData = await request.formData()
  const here = `/admin/campaigns/${campaign.id}/deliveries`
  if (formData.get('intent') === 'delete') {
    const deliveryId = Number(formData.get('id'))
    if (!Number.isSafeInteger(deliveryId) || !(await deleteDelivery(context.db, { actorId: organizer.id, campaignId: campaign.id, deliveryId }))) {
      throw new Response('Delivery not found', { status: 404 })
    }
    return redirect(`${here}?saved=1`)
  }
  const submission = parseWithZod(formData, { schema: deliverySchema(t) })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const recorded = await recordDelivery(context.db, { actorId: organizer.id, campaignId: campaign.id, defaultLocale: campaign.defaultLocale, input: submission.value })
  switch (recorded.status) {
    case 'bad-target':
      return data({ result: submission.reply({ fieldErrors: { targetId: [t('admin.deliveries.errors.target')] } }) }, { status: 400 })
    case 'bad-milestone':
      return data({ result: submission.reply({ fieldErrors: { milestoneId: [t('admin.deliveries.errors.milestone')] } }) }, { status: 400 })
    case 'recorded':
      // A fresh key for the form: it empties after each delivery recorded.
      return redirect(`${here}?saved=${recorded.deliveryId}`)
  }
}

export default function DeliveriesAdmin() {
  const { campaignId, deliveries, lang, canEdit } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const saved = useSearchParams()[0].get('saved') ?? ''
  return (
    <section className="admin-section">
      <h2>{t('admin.deliveries.title')}</h2>
      <p className="muted">{t('admin.deliveries.intro')}</p>
      <SavedNotice stale={Boolean(actionData)} />
      {deliveries.length === 0 ? (
        <p>{t('admin.deliveries.none')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.deliveries.deliveredOn')}</th>
              <th scope="col">{t('admin.deliveries.recipient')}</th>
              <th scope="col">{t('admin.deliveries.method')}</th>
              <th scope="col">{t('admin.deliveries.count')}</th>
              <th scope="col">{t('admin.deliveries.milestoneColumn')}</th>
              <th scope="col">{t('admin.deliveries.entry')}</th>
              {canEdit ? <th scope="col">{t('admin.deliveries.actions')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td>{formatDate(d.deliveredOn, lang)}</td>
                <td>{d.recipient}</td>
                <td>{t(`admin.deliveries.methods.${d.method}`)}</td>
                <td>{formatNumber(d.confirmedCount, lang)}</td>
                <td>{d.milestone === null ? '—' : t('admin.deliveries.milestoneOption', { n: formatNumber(d.milestone, lang) })}</td>
                <td>
                  <Link to={`/admin/campaigns/${campaignId}/timeline/${d.updateId}`}>{t('admin.deliveries.editEntry')}</Link>
                </td>
                {canEdit ? (
                  <td>
                    <Form method="post">
                      <input type="hidden" name="intent" value="delete" />
                      <input type="hidden" name="id" value={d.id} />
                      <button type="submit" className="button button--danger">
                        {t('admin.deliveries.delete')}
                      </button>
                    </Form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit ? (
        <details key={`record-${saved}`} className="panel" open={Boolean(actionData) || deliveries.length === 0}>
          <summary>{t('admin.deliveries.record')}</summary>
          <DeliveryForm />
        </details>
      ) : (
        <p className="muted">{t('admin.deliveries.editorsRecord')}</p>
      )}
    </section>
  )
}

function DeliveryForm() {
  const { campaignId, defaultLocale, targets, milestones, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t, i18n } = useTranslation()
  const uiLang: Language = isLanguage(i18n.language) ? i18n.language : lang
  const [form, fields] = useForm({
    id: `delivery-${campaignId}`,
    lastResult: actionData?.result,
    defaultValue: { deliveredOn: new Date().toISOString().slice(0, 10), method: 'email' },
    constraint: textLimits(deliverySchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: deliverySchema(t) }),
    shouldRevalidate: 'onInput',
  })
  const notes = fields.notes.getFieldset()
  const languages = [defaultLocale, ...LANGUAGES.filter((l) => l !== defaultLocale)]
  const labels: Record<string, string> = {
    targetId: t('admin.deliveries.target'),
    recipient: t('admin.deliveries.recipient'),
    deliveredOn: t('admin.deliveries.deliveredOn'),
    method: t('admin.deliveries.method'),
    milestoneId: t('admin.deliveries.milestone'),
  }
  for (const l of languages) labels[`notes.${l}`] = t('admin.deliveries.note', { language: languageName(l, uiLang) })
  return (
    <ConformForm form={form} className="stack" lastResult={actionData?.result} summary={labels}>
      <input type="hidden" name="intent" value="record" />
      {targets.length > 0 ? (
        <SelectField
          meta={fields.targetId}
          label={labels.targetId}
          options={[{ value: '', label: t('admin.deliveries.noChoice') }, ...targets.map((target) => ({ value: String(target.id), label: target.name }))]}
        />
      ) : null}
      <TextField meta={fields.recipient} label={labels.recipient} hint={t('admin.deliveries.recipientHint')} />
      <div className="row">
        <TextField meta={fields.deliveredOn} type="date" label={labels.deliveredOn} />
        <SelectField meta={fields.method} label={labels.method} options={DELIVERY_METHODS.map((m) => ({ value: m, label: t(`admin.deliveries.methods.${m}`) }))} />
        {milestones.length > 0 ? (
          <SelectField
            meta={fields.milestoneId}
            label={labels.milestoneId}
            options={[
              { value: '', label: t('admin.deliveries.noChoice') },
              ...milestones.map((m) => ({ value: String(m.id), label: t('admin.deliveries.milestoneOption', { n: formatNumber(m.threshold, uiLang) }) })),
            ]}
          />
        ) : null}
      </div>
      <p className="field__hint">{t('admin.deliveries.notesHint')}</p>
      {languages.map((l) => (
        <TextAreaField key={l} meta={notes[l]} rows={3} label={labels[`notes.${l}`]} />
      ))}
      <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
        {t('admin.deliveries.record')}
      </button>
    </ConformForm>
  )
}
