import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { EmailAddress } from '~/components/ui/email-address.tsx'
import { ConformForm, SelectField, TextField } from '~/components/ui/field.tsx'
import {
  changeOrganizer,
  createOrganizer,
  issuePasswordToken,
  LastOwnerError,
  listMemberships,
  listOrganizers,
  OrganizerExistsError,
  setCampaignRoles,
} from '~/models/organizers.server.ts'
import { listCampaignsForAdmin } from '~/models/campaigns.server.ts'
import { resetSecondFactors } from '~/models/second-factors.server.ts'
import { endAllSessions } from '~/models/sessions.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import { isDemoOrganizer, requireOwner } from '~/workflows/session.server.ts'
import { CAMPAIGN_ROLE_ORDER, isCampaignRole, type CampaignRoleName } from '~/utils/roles.ts'
import { organizerSchema, textLimits } from '~/utils/schemas.ts'
import { LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const me = await requireOwner(context.db, request)
  const [organizers, memberships, campaigns] = await Promise.all([listOrganizers(context.db), listMemberships(context.db), listCampaignsForAdmin(context.db, { lang: context.lang })])
  return {
    organizers: organizers.map((o) => ({
      ...o,
      isDemo: isDemoOrganizer(o),
      campaignRoles: memberships.filter((m) => m.organizerId === o.id).map((m) => ({ campaignId: m.campaignId, role: m.role })),
    })),
    campaigns: campaigns.map((c) => ({ id: c.id, title: c.title.value })),
    meId: me.id,
    lang: context.lang,
  }
}

const CAMPAIGN_FIELD = /^campaign-(\d+)$/

/** The roles chosen on one organiser's campaign form: `campaign-<id>` = a role, or empty for none. */
/** The Team page's role per campaign (`campaign-<id>` = a role, or empty for none); null when a value is not a role. */
function campaignRolesOf(formData: FormData) {
  const roles: { campaignId: number; role: CampaignRoleName | null }[] = []
  for (const [name, value] of formData) {
    const campaignId = Number(CAMPAIGN_FIELD.exec(name)?.[1])
    if (!Number.isSafeInteger(campaignId) || campaignId <= 0) continue
    const role = value === '' ? null : isCampaignRole(value) ? value : undefined
    if (role === undefined) return null
    roles.push({ campaignId, role })
  }
  return roles
}

export async function action({ request, context }: ActionFunctionArgs) {
  const me = await requireOwner(context.db, request)
  const t = getT(context.lang)
  const formData = await request.formData()
  const intent = formData.get('intent')
  const link = (token: string) => `${getEnv().publicUrl}/admin/set-password/${token}`
  if (intent === 'create') {
    const submission = parseWithZod(formData, { schema: organizerSchema(t) })
    if (submission.status !== 'success') return data({ result: submission.reply(), link: null, error: null }, { status: 400 })
    try {
      const { email, name, role, locale = context.lang } = submission.value
      const { token } = await createOrganizer(context.db, { email, name, role, actorId: me.id, organizationId: me.organizationId, invite: { locale, invitedBy: me.name } })
      // Emailed through the outbox, and shown here too: the owner may hand it over another way.
      return { result: submission.reply({ resetForm: true }), link: link(token), emailedTo: email, error: null }
    } catch (error) {
      if (!(error instanceof OrganizerExistsError)) throw error
      return data({ result: submission.reply({ fieldErrors: { email: [t('admin.organizers.exists')] } }), link: null, error: null }, { status: 400 })
    }
  }
  const organizerId = Number(formData.get('organizerId'))
  if (!Number.isInteger(organizerId) || organizerId <= 0) {
    return data({ result: undefined, link: null, error: t('forms.choose') }, { status: 400 })
  }
  if (intent === 'endSessions' || intent === 'resetFactors') {
    // Another organiser's sign-ins (ADR 019 §15): not yours (the Security page) and not the demo's, whose sessions every visitor shares.
    const subject = (await listOrganizers(context.db)).find((o) => o.id === organizerId)
    const refuse = (error: string) => data({ result: undefined, link: null, error }, { status: 400 })
    if (!subject) return refuse(t('admin.organizerSecurity.notFound'))
    if (subject.id === me.id) return refuse(t('admin.organizerSecurity.notYourself'))
    if (isDemoOrganizer(subject)) return refuse(t('admin.organizerSecurity.notDemo'))
    if (intent === 'endSessions') {
      const count = await endAllSessions(context.db, { organizerId, actorId: me.id })
      if (count === null) return refuse(t('admin.organizerSecurity.notFound'))
      return { result: undefined, link: null, error: null, notice: t('admin.organizerSecurity.sessionsEnded', { name: subject.name, count }) }
    }
    // A second POST confirms, so the step works without JavaScript.
    if (formData.get('confirm') !== 'yes') return { result: undefined, link: null, error: null, confirmReset: { id: subject.id, name: subject.name } }
    const reset = await resetSecondFactors(context.db, { organizerId, actorId: me.id, by: 'owner' })
    if (!reset) return refuse(t('admin.organizerSecurity.notFound'))
    return { result: undefined, link: null, error: null, notice: t('admin.organizerSecurity.resetDone', { name: subject.name }) }
  }
  try {
    if (intent === 'campaignRoles') {
      const roles = campaignRolesOf(formData)
      if (!roles) return data({ result: undefined, link: null, error: t('forms.choose') }, { status: 400 })
      await setCampaignRoles(context.db, { actorId: me.id, organizerId, roles })
      return { result: undefined, link: null, error: null }
    }
    if (intent === 'link') return { result: undefined, link: link(await issuePasswordToken(context.db, { organizerId, actorId: me.id })), error: null }
    if (intent === 'role') {
      const role = formData.get('role')
      if (role !== 'owner' && role !== 'editor') return data({ result: undefined, link: null, error: t('forms.choose') }, { status: 400 })
      await changeOrganizer(context.db, { actorId: me.id, organizerId, role })
    } else if (intent === 'disable' || intent === 'enable') {
      await changeOrganizer(context.db, { actorId: me.id, organizerId, disabled: intent === 'disable' })
    } else {
      return data({ result: undefined, link: null, error: t('forms.choose') }, { status: 400 })
    }
  } catch (error) {
    if (!(error instanceof LastOwnerError)) throw error
    return data({ result: undefined, link: null, error: t('admin.organizers.lastOwner') }, { status: 400 })
  }
  return { result: undefined, link: null, error: null }
}

export default function Organizers() {
  const { organizers, campaigns, meId, lang } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const [form, fields] = useForm({
    id: 'new-organizer',
    lastResult: actionData?.result,
    defaultValue: { role: 'editor', locale: lang },
    constraint: textLimits(organizerSchema(t)),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: organizerSchema(t) }),
    shouldRevalidate: 'onInput',
  })
  return (
    <main className="wrap page">
      <h1>{t('admin.organizers.title')}</h1>
      <p>
        <Link to="/admin/security-policy">{t('admin.nav.securityPolicy')}</Link>
      </p>
      {actionData?.error ? <p className="notice notice--error">{actionData.error}</p> : null}
      {actionData && 'notice' in actionData && actionData.notice ? (
        <p className="notice notice--success" role="status">
          {actionData.notice}
        </p>
      ) : null}
      {actionData && 'confirmReset' in actionData && actionData.confirmReset ? (
        <Form method="post" className="panel stack" aria-labelledby="confirm-reset-title">
          <h2 id="confirm-reset-title">{t('admin.organizerSecurity.confirmTitle', { name: actionData.confirmReset.name })}</h2>
          <p>{t('admin.organizerSecurity.confirmBody')}</p>
          <input type="hidden" name="intent" value="resetFactors" />
          <input type="hidden" name="organizerId" value={actionData.confirmReset.id} />
          <input type="hidden" name="confirm" value="yes" />
          <div className="row">
            <button type="submit" className="button button--danger">
              {t('admin.organizerSecurity.confirm')}
            </button>
            <Link to="/admin/organizers" className="button button--quiet">
              {t('admin.organizerSecurity.cancel')}
            </Link>
          </div>
        </Form>
      ) : null}
      {actionData?.link ? (
        <div className="notice notice--success" role="status">
          {'emailedTo' in actionData && actionData.emailedTo ? <p>{t('admin.organizers.linkEmailed', { email: actionData.emailedTo })}</p> : null}
          <p>{t('admin.organizers.linkIntro')}</p>
          <p>
            <code className="copyable">{actionData.link}</code>
          </p>
        </div>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('admin.organizers.name')}</th>
            <th scope="col">{t('admin.organizers.role')}</th>
            <th scope="col">{t('admin.organizers.state')}</th>
            <th scope="col">{t('admin.organizers.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {organizers.map((o) => (
            <tr key={o.id}>
              <td>
                {o.name}
                <div className="muted cell-email">
                  <EmailAddress address={o.email} />
                </div>
              </td>
              <td>
                <Form method="post" className="row">
                  <input type="hidden" name="intent" value="role" />
                  <input type="hidden" name="organizerId" value={o.id} />
                  <select name="role" defaultValue={o.role} aria-label={t('admin.organizers.role')}>
                    <option value="owner">{t('admin.roles.owner')}</option>
                    <option value="editor">{t('admin.roles.editor')}</option>
                  </select>
                  <button type="submit" className="button button--quiet">
                    {t('admin.save')}
                  </button>
                </Form>
              </td>
              <td>
                {o.disabledAt
                  ? t('admin.organizers.disabled')
                  : o.hasPassword
                    ? t('admin.organizers.active')
                    : t('admin.organizers.invited')}
              </td>
              <td className="row">
                <Form method="post">
                  <input type="hidden" name="organizerId" value={o.id} />
                  <button type="submit" name="intent" value="link" className="button button--quiet">
                    {t('admin.organizers.newLink')}
                  </button>
                </Form>
                {o.id !== meId ? (
                  <Form method="post">
                    <input type="hidden" name="organizerId" value={o.id} />
                    <button type="submit" name="intent" value={o.disabledAt ? 'enable' : 'disable'} className="button button--quiet">
                      {o.disabledAt ? t('admin.organizers.enable') : t('admin.organizers.disable')}
                    </button>
                  </Form>
                ) : null}
                {o.id !== meId && !o.isDemo ? (
                  <Form method="post" className="row" aria-label={t('admin.organizerSecurity.title')}>
                    <input type="hidden" name="organizerId" value={o.id} />
                    <button type="submit" name="intent" value="endSessions" className="button button--quiet">
                      {t('admin.organizerSecurity.endSessions')}
                    </button>
                    <button type="submit" name="intent" value="resetFactors" className="button button--quiet">
                      {t('admin.organizerSecurity.resetFactors')}
                    </button>
                  </Form>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('admin.organizers.campaignRolesTitle')}</h2>
      <p className="muted">{t('admin.organizers.campaignRolesIntro')}</p>
      {organizers
        .filter((o) => o.role !== 'owner')
        .map((o) => (
          <Form method="post" key={o.id} className="panel stack" aria-label={t('admin.organizers.campaignRolesOf', { name: o.name })}>
            <h3>{o.name}</h3>
            <input type="hidden" name="intent" value="campaignRoles" />
            <input type="hidden" name="organizerId" value={o.id} />
            {campaigns.length === 0 ? <p>{t('admin.campaigns.empty')}</p> : null}
            {campaigns.map((c) => (
              <div className="field" key={c.id}>
                <label htmlFor={`role-${o.id}-${c.id}`}>{c.title}</label>
                <select id={`role-${o.id}-${c.id}`} name={`campaign-${c.id}`} defaultValue={o.campaignRoles.find((m) => m.campaignId === c.id)?.role ?? ''}>
                  <option value="">{t('admin.campaignRoles.none')}</option>
                  {CAMPAIGN_ROLE_ORDER.map((role) => (
                    <option key={role} value={role}>
                      {t(`admin.campaignRoles.${role}`)}
                    </option>
                  ))}
                </select>
              </div>
            ))}
            <button type="submit" className="button button--quiet">
              {t('admin.save')}
            </button>
          </Form>
        ))}
      <h2>{t('admin.organizers.add')}</h2>
      <ConformForm
        form={form}
        className="stack panel"
        lastResult={actionData?.result}
        summary={{ name: t('admin.organizers.name'), email: t('admin.organizers.email'), role: t('admin.organizers.role'), locale: t('admin.organizers.inviteLanguage') }}
      >
        <input type="hidden" name="intent" value="create" />
        <TextField meta={fields.name} label={t('admin.organizers.name')} />
        <TextField meta={fields.email} type="email" label={t('admin.organizers.email')} />
        <SelectField
          meta={fields.role}
          label={t('admin.organizers.role')}
          options={[
            { value: 'editor', label: t('admin.roles.editor') },
            { value: 'owner', label: t('admin.roles.owner') },
          ]}
        />
        <SelectField meta={fields.locale} label={t('admin.organizers.inviteLanguage')} options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))} />
        <button type="submit" className="button">
          {t('admin.organizers.create')}
        </button>
      </ConformForm>
    </main>
  )
}
