import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { z } from 'zod'
import { SavedNotice } from '~/components/saved-notice.tsx'
import { findDemoData } from '~/models/demo.server.ts'
import { getSecondFactorPolicy } from '~/models/second-factors.server.ts'
import { listUncovered, saveSecondFactorPolicy } from '~/models/site-settings.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import type { SecondFactorPolicyName as SecondFactorPolicy } from '~/utils/second-factor.ts'
import { requireOwner } from '~/workflows/session.server.ts'

// The page's order (least to most covered); the same values as the schema's SECOND_FACTOR_POLICIES.
const SECOND_FACTOR_POLICIES = ['none', 'owners', 'owners_managers', 'everyone'] as const satisfies readonly SecondFactorPolicy[]

const policySchema = z.object({ policy: z.enum(SECOND_FACTOR_POLICIES) })

export async function loader({ request, context }: LoaderFunctionArgs) {
  const owner = await requireOwner(context.db, request)
  const policy = await getSecondFactorPolicy(context.db)
  // Every choice's list, so the page can follow the option picked before it is saved (with
  // JavaScript); without it, the saved choice's list is the one shown.
  const uncovered = {} as Record<SecondFactorPolicy, { id: number; name: string }[]>
  for (const choice of SECOND_FACTOR_POLICIES) uncovered[choice] = await listUncovered(context.db, { policy: choice })
  return { policy, uncovered, ownerId: owner.id, demo: (await findDemoData(context.db)).organizer }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const owner = await requireOwner(context.db, request)
  const chosen = (await request.formData()).getAll('policy')
  // Exactly one answer: two radios' values at once (a forged form) is none.
  const parsed = policySchema.safeParse({ policy: chosen.length === 1 ? chosen[0] : undefined })
  if (!parsed.success) return data({ error: getT(context.lang)('admin.securityPolicy.invalid') }, { status: 400 })
  await saveSecondFactorPolicy(context.db, { actorId: owner.id, policy: parsed.data.policy })
  // An owner who has just covered themselves without a factor is sent on to set-up by the guard.
  return redirect('/admin/security-policy?saved=1')
}

export default function SecurityPolicy() {
  const { policy, uncovered, ownerId, demo } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const navigation = useNavigation()
  const { t } = useTranslation()
  // Follows the radio picked (after hydration); the server's render shows the saved choice.
  const [picked, setPicked] = useState<SecondFactorPolicy>(policy)
  const names = uncovered[picked]
  return (
    <main className="wrap page">
      <h1>{t('admin.securityPolicy.title')}</h1>
      <SavedNotice stale={Boolean(actionData)} />
      {actionData?.error ? (
        <p className="notice notice--error" role="alert">
          {actionData.error}
        </p>
      ) : null}
      <p className="muted">{t('admin.securityPolicy.intro')}</p>
      <Form method="post" className="stack">
        <fieldset className="stack">
          <legend>{t('admin.securityPolicy.legend')}</legend>
          {SECOND_FACTOR_POLICIES.map((choice) => (
            <div key={choice} className="field field--checkbox">
              <input
                type="radio"
                id={`policy-${choice}`}
                name="policy"
                value={choice}
                defaultChecked={choice === policy}
                onChange={() => setPicked(choice)}
                aria-describedby={`policy-${choice}-hint`}
              />
              <label htmlFor={`policy-${choice}`}>{t(`admin.securityPolicy.options.${choice}.label`)}</label>
              <p className="field__hint" id={`policy-${choice}-hint`}>
                {t(`admin.securityPolicy.options.${choice}.hint`)}
              </p>
            </div>
          ))}
        </fieldset>
        <section aria-live="polite" aria-labelledby="uncovered-title">
          <h2 id="uncovered-title">{t('admin.securityPolicy.uncoveredTitle')}</h2>
          {picked === 'none' ? (
            <p>{t('admin.securityPolicy.nobodyCovered')}</p>
          ) : names.length === 0 ? (
            <p>{t('admin.securityPolicy.uncoveredNone')}</p>
          ) : (
            <>
              <p>{t('admin.securityPolicy.uncoveredIntro')}</p>
              <ul>
                {names.map((o) => (
                  <li key={o.id}>{o.id === ownerId ? t('admin.securityPolicy.you', { name: o.name }) : o.name}</li>
                ))}
              </ul>
            </>
          )}
          {demo ? <p className="muted">{t('admin.securityPolicy.demoExempt')}</p> : null}
        </section>
        <div>
          <button type="submit" className="button" disabled={navigation.state === 'submitting'}>
            {t('admin.securityPolicy.save')}
          </button>
        </div>
      </Form>
    </main>
  )
}
