import { parseWithZod } from '@conform-to/zod'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { z } from 'zod'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { getCountLogHead } from '~/models/count-log.server.ts'
import { choosePacketMessages, listPacketMessageChoices } from '~/models/packet.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { countryName } from '~/utils/countries.ts'
import { getT } from '~/utils/i18n.server.ts'
import { LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { packetToken } from '~/utils/tokens.server.ts'
import { verificationCode } from '~/workflows/packet.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'

// The packet carries signers' names and messages: editors and above (like messages), not viewers.
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const [choices, head] = await Promise.all([listPacketMessageChoices(context.db, { campaignId: campaign.id }), getCountLogHead(context.db, { campaignId: campaign.id })])
  return {
    base: `/admin/campaigns/${campaign.id}`,
    atRisk: campaign.atRisk,
    targetLink: `${getEnv().publicUrl}/c/${campaign.slug}/packet/${packetToken(campaign.id)}`,
    code: head ? verificationCode(head.hash) : null,
    choices: choices.map((c) => ({ ...c, countryName: countryName(c.country, context.lang) })),
  }
}

const selectSchema = z.object({
  intent: z.literal('select'),
  signatureId: z.array(z.coerce.number().int().positive()).max(1000).default([]),
})

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { organizer, campaign } = await requireCampaignRole(context.db, request, params.id, 'editor')
  const submission = parseWithZod(await request.formData(), { schema: selectSchema })
  if (submission.status !== 'success') return data({ error: getT(context.lang)('admin.packet.invalid') }, { status: 400 })
  await choosePacketMessages(context.db, { actorId: organizer.id, campaignId: campaign.id, slug: campaign.slug, signatureIds: submission.value.signatureId })
  return redirect(`/admin/campaigns/${campaign.id}/packet?saved=1`)
}

export default function Packet() {
  const { base, atRisk, targetLink, code, choices } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { t } = useTranslation()
  const parts = atRisk ? (['countries', 'messages'] as const) : (['countries', 'signers', 'messages'] as const)
  return (
    <section className="admin-section">
      <h2>{t('admin.packet.title')}</h2>
      <p>{t('admin.packet.intro')}</p>
      {atRisk ? (
        <p className="notice" role="note">
          {t('admin.packet.atRisk')}
        </p>
      ) : null}
      <table className="table">
        <caption>{t('admin.packet.linksCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.packet.language')}</th>
            <th scope="col">{t('admin.packet.document')}</th>
            <th scope="col">{t('admin.packet.csv')}</th>
          </tr>
        </thead>
        <tbody>
          {LANGUAGES.map((l) => (
            <tr key={l}>
              <th scope="row" lang={l}>
                {LANGUAGE_NAMES[l]}
              </th>
              <td>
                <a href={`${base}/packet.html?locale=${l}`} target="_blank" rel="noreferrer">
                  {t('admin.packet.open')}
                </a>{' '}
                · <a href={`${base}/packet.html?locale=${l}&download=1`}>{t('admin.packet.download')}</a>
              </td>
              <td>
                {parts.map((part, i) => (
                  <span key={part}>
                    {i > 0 ? ' · ' : null}
                    <a href={`${base}/packet.csv?locale=${l}&part=${part}`}>{t(`admin.packet.parts.${part}`)}</a>
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>{t('admin.packet.printHeading')}</h3>
      <p>{t('admin.packet.printSteps')}</p>

      <h3>{t('admin.packet.codeHeading')}</h3>
      {code ? <p className="packet-code"><code>{code}</code></p> : <p>{t('admin.packet.codeNone')}</p>}

      <h3>{t('admin.packet.targetLinkHeading')}</h3>
      <p>{t('admin.packet.targetLinkHint')}</p>
      <p>
        <code>{targetLink}</code>
      </p>

      <h3>{t('admin.packet.messagesHeading')}</h3>
      <SavedNotice />
      <p>{t(atRisk ? 'admin.packet.messagesHintAtRisk' : 'admin.packet.messagesHint')}</p>
      {actionData?.error ? (
        <p className="notice notice--error" role="alert">
          {actionData.error}
        </p>
      ) : null}
      {choices.length === 0 ? (
        <p>{t('admin.packet.messagesNone')}</p>
      ) : (
        <Form method="post" className="stack">
          <ul className="moderation">
            {choices.map((c) => (
              <li key={c.id} className="panel">
                <label className="checkbox">
                  <input type="checkbox" name="signatureId" value={c.id} defaultChecked={c.chosen} />{' '}
                  <span className="muted">
                    {c.name} · {c.countryName}
                    {!c.showName || atRisk ? ` · ${t('admin.packet.nameHidden')}` : null}
                  </span>
                </label>
                <blockquote className="support-message">{c.message}</blockquote>
              </li>
            ))}
          </ul>
          <button type="submit" name="intent" value="select" className="button">
            {t('admin.packet.save')}
          </button>
        </Form>
      )}
    </section>
  )
}
