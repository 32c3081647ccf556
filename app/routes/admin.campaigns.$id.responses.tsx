import { useForm, type SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import {
  data,
  MaxPartSizeExceededError,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { ConformForm, ErrorList, SelectField, TextAreaField, TextField } from '~/components/ui/field.tsx'
import { listDeliveryChoices } from '~/models/deliveries.server.ts'
import { deleteResponse, listResponsesForAdmin, recordResponse, saveResponse, type StoredDocument } from '~/models/responses.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDate, formatNumber, isLanguage, languageName, LANGUAGES, type Language } from '~/utils/i18n.ts'
import { responseSchema } from '~/utils/response-schemas.ts'
import { roleAtLeast } from '~/utils/roles.ts'
import { textLimits } from '~/utils/schemas.ts'
import {
  DocumentRejectedError,
  documentRejectionStatus,
  IMAGE_LIMITS,
  MAX_DOCUMENT_BYTES,
  storeResponseDocument,
  type DocumentRejection,
} from '~/utils/uploads.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

const DOCUMENT_LIMITS = { pdf: MAX_DOCUMENT_BYTES / 1024 / 1024, image: IMAGE_LIMITS.max, megapixels: IMAGE_LIMITS.megapixels }

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign, role } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const [responses, choices] = await Promise.all([
    listResponsesForAdmin(context.db, { campaignId: campaign.id }),
    listDeliveryChoices(context.db, { campaignId: campaign.id, lang: context.lang, defaultLocale: campaign.defaultLocale }),
  ])
  const editId = Number(new URL(request.url).searchParams.get('edit'))
  const editing = responses.find((r) => r.id === editId) ?? null
  return {
    campaignId: campaign.id,
    defaultLocale: campaign.defaultLocale,
    lang: context.lang,
    canEdit: roleAtLeast(role, 'editor'),
    // Editors record an answer; emailing it to supporters is a manager's (ADR 011), on the update send page.
    canSend: roleAtLeast(role, 'manager'),
    responses,
    targets: choices.targets,
    editing,
    limits: DOCUMENT_LIMITS,
  }
}

type Problem = { result?: SubmissionResult<string[]>; documentError?: string }

export async function action({ request, params, context }: ActionFunctionArgs) {
  // Who may, before a byte of the body is read.
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const t = getT(context.lang)
  const here = `/admin/campaigns/${campaign.id}/responses`
  const common = { actorId: organizer.id, campaignId: campaign.id, defaultLocale: campaign.defaultLocale }
  const refuse = (reason: DocumentRejection, result?: SubmissionResult<string[]>) =>
    data({ result, documentError: t(`admin.responses.errors.document.${reason}`, DOCUMENT_LIMITS) } satisfies Problem, { status: documentRejectionStatus(reason) })

  let formData: FormData
  if ((request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
    try {
      formData = await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_DOCUMENT_BYTES }))
    } catch (error) {
      if (error instanceof MaxPartSizeExceededError) return refuse('size')
      return data({ result: undefined, documentError: t('admin.responses.errors.unreadable') } satisfies Problem, { status: 400 })
    }
  } else {
    formData = await request.formData()
  }
  const intent = formData.get('intent')
  const responseId = Number(formData.get('id'))
  const missing = () => new Response('Answer not found', { status: 404 })

  if (intent === 'delete' || intent === 'remove-document') {
    if (!Number.isSafeInteger(responseId) || responseId <= 0) throw missing()
    if (intent === 'delete') {
      if (!(await deleteResponse(context.db, { ...common, responseId }))) throw missing()
      return redirect(`${here}?saved=1`)
    }
    const removed = await saveResponse(context.db, { ...common, responseId, input: null, removeDocument: true })
    if (removed.status !== 'saved') throw missing()
    return redirect(`${here}?edit=${responseId}&saved=1`)
  }

  const submission = parseWithZod(formData, { schema: responseSchema(t, { defaultLocale: campaign.defaultLocale }) })
  if (submission.status !== 'success') return data({ result: submission.reply() } satisfies Problem, { status: 400 })
  const file = formData.get('document')
  let document: StoredDocument | null = null
  if (file instanceof File && file.size > 0) {
    try {
      document = await storeResponseDocument(file, campaign.id)
    } catch (error) {
      if (error instanceof DocumentRejectedError) return refuse(error.reason, submission.reply())
      throw error
    }
  }
  const { id, ...input } = submission.value
  const saved =
    intent === 'save' && id !== undefined
      ? await saveResponse(context.db, { ...common, responseId: id, input, document })
      : await recordResponse(context.db, { ...common, input, document })
  switch (saved.status) {
    case 'missing':
      throw missing()
    case 'bad-target':
      return data({ result: submission.reply({ fieldErrors: { targetId: [t('admin.deliveries.errors.target')] } }) } satisfies Problem, { status: 400 })
    case 'saved':
      return redirect(`${here}?saved=${saved.responseId}`)
  }
}

export default function ResponsesAdmin() {
  const { campaignId, responses, lang, defaultLocale, canEdit, canSend, editing } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const saved = useSearchParams()[0].get('saved') ?? ''
  const justSaved = responses.find((r) => String(r.id) === saved)
  return (
    <section className="admin-section">
      <h2>{t('admin.responses.title')}</h2>
      <p className="muted">{t('admin.responses.intro')}</p>
      <SavedNotice stale={Boolean(actionData)} />
      {justSaved && !actionData ? (
        <div className="panel stack" role="status">
          <p>{t('admin.responses.savedNext')}</p>
          {justSaved.sentTo !== null ? (
            <p>{t('admin.responses.sentTo', { count: justSaved.sentTo, n: formatNumber(justSaved.sentTo, lang) })}</p>
          ) : canSend ? (
            <p>
              <Link className="button" to={`/admin/campaigns/${campaignId}/updates/${justSaved.updateId}/send`}>
                {t('admin.responses.emailThis')}
              </Link>
            </p>
          ) : (
            <p className="muted">{t('admin.responses.managersSend')}</p>
          )}
        </div>
      ) : null}
      {responses.length === 0 ? (
        <p>{t('admin.responses.none')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.responses.respondedOn')}</th>
              <th scope="col">{t('admin.responses.responder')}</th>
              <th scope="col">{t('admin.responses.answerTitle')}</th>
              <th scope="col">{t('admin.responses.document')}</th>
              <th scope="col">{t('admin.responses.email')}</th>
              {canEdit ? <th scope="col">{t('admin.responses.actions')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {responses.map((r) => {
              const title = r.texts[lang].title || r.texts[defaultLocale].title || LANGUAGES.map((l) => r.texts[l].title).find(Boolean) || '—'
              return (
                <tr key={r.id}>
                  <td>{formatDate(r.respondedOn, lang)}</td>
                  <td>{r.responder}</td>
                  <td>{title}</td>
                  <td>
                    {r.documentPath ? (
                      <a href={r.documentPath}>{t(`admin.responses.documentTypes.${r.documentType ?? 'image'}`)}</a>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    {r.sentTo !== null ? (
                      t('admin.responses.sentTo', { count: r.sentTo, n: formatNumber(r.sentTo, lang) })
                    ) : canSend ? (
                      <Link to={`/admin/campaigns/${campaignId}/updates/${r.updateId}/send`}>{t('admin.responses.emailThis')}</Link>
                    ) : (
                      t('admin.responses.notSent')
                    )}
                  </td>
                  {canEdit ? (
                    <td>
                      <div className="row">
                        <Link to={`?edit=${r.id}`}>{t('admin.responses.edit')}</Link>
                        {r.documentPath ? (
                          <Form method="post">
                            <input type="hidden" name="id" value={r.id} />
                            <button type="submit" name="intent" value="remove-document" className="button button--quiet">
                              {t('admin.responses.removeDocument')}
                            </button>
                          </Form>
                        ) : null}
                        <Form method="post">
                          <input type="hidden" name="id" value={r.id} />
                          <button type="submit" name="intent" value="delete" className="button button--danger">
                            {t('admin.responses.delete')}
                          </button>
                        </Form>
                      </div>
                    </td>
                  ) : null}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {canEdit ? (
        <section className="panel stack admin-panel" aria-labelledby="response-form-title">
          <h3 id="response-form-title">{editing ? t('admin.responses.editTitle', { responder: editing.responder }) : t('admin.responses.record')}</h3>
          <ResponseForm key={editing ? `edit-${editing.id}-${saved}` : `new-${saved}`} />
        </section>
      ) : (
        <p className="muted">{t('admin.responses.editorsRecord')}</p>
      )}
    </section>
  )
}

type ResponseFormDefaults = {
  id?: number
  targetId?: number
  responder?: string
  respondedOn?: string
  texts?: Partial<Record<Language, { title?: string; bodyMd?: string }>>
}

function ResponseForm() {
  const { campaignId, defaultLocale, targets, editing, lang, limits } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t, i18n } = useTranslation()
  const uiLang: Language = isLanguage(i18n.language) ? i18n.language : lang
  const schema = responseSchema(t, { defaultLocale })
  const defaultValue: ResponseFormDefaults = editing
    ? { id: editing.id, targetId: editing.targetId ?? undefined, responder: editing.responder, respondedOn: editing.respondedOn, texts: editing.texts }
    : { respondedOn: new Date().toISOString().slice(0, 10) }
  const [form, fields] = useForm({
    id: editing ? `response-${editing.id}` : `response-new-${campaignId}`,
    lastResult: actionData?.result,
    defaultValue,
    constraint: textLimits(schema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldRevalidate: 'onInput',
  })
  const texts = fields.texts.getFieldset()
  const languages = [defaultLocale, ...LANGUAGES.filter((l) => l !== defaultLocale)]
  const labels: Record<string, string> = {
    targetId: t('admin.responses.target'),
    responder: t('admin.responses.responder'),
    respondedOn: t('admin.responses.respondedOn'),
  }
  for (const l of languages) {
    const language = languageName(l, uiLang)
    labels[`texts.${l}.title`] = t('admin.responses.textTitle', { language })
    labels[`texts.${l}.bodyMd`] = t('admin.responses.textBody', { language })
  }
  const documentError = actionData && 'documentError' in actionData ? actionData.documentError : undefined
  const documentId = `${form.id}-document`
  return (
    <ConformForm form={form} className="stack" encType="multipart/form-data" lastResult={actionData?.result} summary={labels}>
      <input type="hidden" name="intent" value={editing ? 'save' : 'record'} />
      {editing ? <input type="hidden" name="id" value={editing.id} /> : null}
      {documentError ? (
        // The file is checked after the fields: its problem gets the summary's place when it is the only one.
        <div className="error-summary" role="alert" tabIndex={-1} aria-labelledby={`${documentId}-summary`}>
          <h2 id={`${documentId}-summary`}>{t('forms.errorSummary')}</h2>
          <ul>
            <li>
              <a href={`#${documentId}`}>{`${t('admin.responses.documentLabel')}: ${documentError}`}</a>
            </li>
          </ul>
        </div>
      ) : null}
      {targets.length > 0 ? (
        <SelectField
          meta={fields.targetId}
          label={labels.targetId}
          options={[{ value: '', label: t('admin.deliveries.noChoice') }, ...targets.map((target) => ({ value: String(target.id), label: target.name }))]}
        />
      ) : null}
      <div className="row">
        <TextField meta={fields.responder} label={labels.responder} hint={t('admin.responses.responderHint')} />
        <TextField meta={fields.respondedOn} type="date" label={labels.respondedOn} />
      </div>
      <p className="field__hint">{t('admin.responses.textsHint', { language: languageName(defaultLocale, uiLang) })}</p>
      {languages.map((l) => {
        const text = texts[l].getFieldset()
        return (
          <fieldset key={l} className="panel stack">
            <legend>{languageName(l, uiLang)}</legend>
            <TextField meta={text.title} label={labels[`texts.${l}.title`]} />
            <TextAreaField meta={text.bodyMd} rows={8} label={labels[`texts.${l}.bodyMd`]} />
          </fieldset>
        )
      })}
      <div className="field">
        <label htmlFor={documentId}>{editing?.documentPath ? t('admin.responses.replaceDocument') : t('admin.responses.documentLabel')}</label>
        <p className="field__hint" id={`${documentId}-hint`}>
          {t('admin.responses.documentHint', limits)}
        </p>
        <input
          id={documentId}
          name="document"
          type="file"
          accept="application/pdf,image/jpeg,image/png,image/webp"
          aria-describedby={`${documentId}-hint ${documentId}-error`}
          aria-invalid={documentError ? true : undefined}
        />
        <ErrorList id={`${documentId}-error`} errors={documentError ? [documentError] : undefined} />
      </div>
      <div className="row">
        <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
          {editing ? t('admin.save') : t('admin.responses.record')}
        </button>
        {editing ? <Link to={`/admin/campaigns/${campaignId}/responses`}>{t('admin.responses.cancel')}</Link> : null}
      </div>
    </ConformForm>
  )
}
