import { useForm, type SubmissionResult } from '@conform-to/react'
import { useFetcher, useSearchParams } from '@remix-run/react'
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { formatNumber, type Language } from '~/utils/i18n.ts'
import type { PetitionData } from '~/utils/petition.ts'
import { SIGN_LIMITS } from '~/utils/form-limits.ts'
import { useLazyValidators } from '~/utils/lazy-validation.ts'
import { CheckboxField, ConformForm, SelectField, TextAreaField, TextField } from './ui/field.tsx'

export type SignActionData = { result?: SubmissionResult<string[]>; signed?: boolean; retryAfterMinutes?: number; mailWaitMinutes?: number | null }

/**
 * The petition: count, goal and the form. Without JavaScript the form posts and the
 * page comes back (redirect); with it, a fetcher keeps the visitor where they are.
 */
export function PetitionPanel({
  petition,
  lang,
  actionData,
  signedMailWaitMinutes = null,
  compact = false,
  action,
  source = null,
  targets,
  milestone,
}: {
  petition: PetitionData
  lang: Language
  actionData?: SignActionData
  /** For the page a signer without JavaScript is sent back to (`?signed=1`): how long the email may take. */
  signedMailWaitMinutes?: number | null
  /** The embed's panel (/embed/c/:slug): no signers' names or messages, the petition text folded, links that leave open a new tab. */
  compact?: boolean
  /** Where the form posts (the embed posts to itself, with its language in the URL). */
  action?: string
  /** The known source tag the visitor came with (app/utils/sources.ts), sent with the signature (`s`). */
  source?: string | null
  /** Whom the petition addresses (app/components/targets-list.tsx), instead of the one-line target. */
  targets?: ReactNode
  /** The next milestone (app/components/next-milestone.tsx), under the petition text. */
  milestone?: ReactNode
}) {
  const { t, i18n } = useTranslation()
  const fetcher = useFetcher<SignActionData>()
  // Names come from the page's catalog (already sorted), not from the loader: it keeps the
  // page's data small and the server's and the browser's lists identical.
  const countries = Object.entries((i18n.getResourceBundle(lang, 'countries') ?? {}) as Record<string, string>)
  const [searchParams] = useSearchParams()
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  const last = fetcher.data ?? actionData
  const signed = last?.signed || searchParams.get('signed') === '1'
  const mailWait = last?.signed ? (last.mailWaitMinutes ?? null) : signedMailWaitMinutes
  const validators = useLazyValidators()
  const [form, fields] = useForm({
    id: 'sign-form',
    lastResult: last?.result,
    defaultValue: { country: petition.suggestedCountry ?? '' },
    constraint: SIGN_LIMITS,
    onValidate: validators ? ({ formData }) => validators.validateSignature(formData, t) : undefined,
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
  })
  // The message replaces a taller form, so it would sit above the viewport with the focus
  // lost to the body: bring it into view and focus it (only after signing here, not on load).
  const done = useRef<HTMLParagraphElement>(null)
  const signedHere = Boolean(fetcher.data?.signed)
  useEffect(() => {
    if (!signedHere || !done.current) return
    done.current.focus({ preventScroll: true })
    done.current.scrollIntoView({ block: 'center' })
  }, [signedHere])
  const percent = Math.min(100, Math.round((petition.confirmed / petition.goal) * 100))
  return (
    <section className="panel panel--petition" id="petition" aria-labelledby="petition-title">
      <h2 id="petition-title">{t('petition.title')}</h2>
      <p className="petition-count">
        <strong>{t('petition.count', { count: petition.confirmed })}</strong>
      </p>
      <progress className="petition-progress" max={petition.goal} value={petition.confirmed} aria-label={`${percent} %`} />
      <p className="muted">{t('petition.goal', { goal: formatNumber(petition.goal, lang) })}</p>
      {targets ?? (petition.target ? <p className="panel__target">{t('petition.to', { target: petition.target })}</p> : null)}
      {compact ? (
        <details className="petition-text-fold">
          <summary>{t('embed.readPetition')}</summary>
          <blockquote className="petition-text" lang={petition.text.lang}>
            {petition.text.value}
          </blockquote>
        </details>
      ) : (
        <blockquote className="petition-text" lang={petition.text.lang}>
          {petition.text.value}
        </blockquote>
      )}
      {milestone ?? null}
      {!petition.open ? (
        <p className="notice">{t('petition.closed')}</p>
      ) : signed ? (
        <p className="notice notice--success" role="status" id="sign-done" tabIndex={-1} ref={done}>
          {t('petition.checkInbox')}
          {mailWait ? ` ${mailWait < 60 ? t('petition.mailWait', { count: mailWait }) : t('petition.mailWaitHours', { count: Math.round(mailWait / 60) })}` : null}
        </p>
      ) : (
        <ConformForm
          form={form}
          as={fetcher.Form}
          action={action}
          // No #fragment: without JavaScript an answer with errors lands on its error summary
          // through autofocus, which browsers skip on a page opened at a fragment.
          className="stack sign-form"
          lastResult={last?.result}
          summary={{
            firstName: t('petition.firstName'),
            lastName: t('petition.lastName'),
            email: t('petition.email'),
            country: t('petition.country'),
            postalCode: t('petition.postalCode'),
            message: t('petition.message'),
          }}
        >
          {last?.retryAfterMinutes ? (
            <p className="notice notice--error" role="alert" tabIndex={-1} autoFocus={!hydrated}>
              {last.retryAfterMinutes > 90
                ? t('petition.rateLimitedHours', { count: Math.ceil(last.retryAfterMinutes / 60) })
                : t('petition.rateLimited', { count: last.retryAfterMinutes })}
            </p>
          ) : null}
          {hydrated ? <input type="hidden" name="_js" value="1" /> : null}
          {source ? <input type="hidden" name="s" value={source} /> : null}
          <div className="row">
            <TextField meta={fields.firstName} label={t('petition.firstName')} autoComplete="given-name" />
            <TextField meta={fields.lastName} label={t('petition.lastName')} autoComplete="family-name" />
          </div>
          <TextField meta={fields.email} type="email" label={t('petition.email')} autoComplete="email" />
          <div className="row">
            <SelectField
              meta={fields.country}
              label={t('petition.country')}
              options={[{ value: '', label: '—' }, ...countries.map(([code, name]) => ({ value: code, label: name }))]}
            />
            {petition.atRisk ? null : <TextField meta={fields.postalCode} label={t('petition.postalCode')} autoComplete="postal-code" />}
          </div>
          <TextAreaField
            meta={fields.message}
            rows={3}
            label={t('petition.message')}
            hint={petition.atRisk ? t('atRisk.messageHint') : t('petition.messageHint')}
          />
          {petition.atRisk ? <p className="field__hint">{t('atRisk.signNotice')}</p> : <CheckboxField meta={fields.showName} label={t('petition.showName')} />}
          <CheckboxField meta={fields.updates} label={t('petition.updates')} hint={t('petition.updatesHint')} />
          <div className="honeypot" aria-hidden="true">
            <label htmlFor="sign-website">{t('petition.honeypot')}</label>
            <input id="sign-website" name="website" type="text" tabIndex={-1} autoComplete="off" />
          </div>
          <button type="submit" className="button" disabled={fetcher.state !== 'idle'}>
            {fetcher.state !== 'idle' ? t('petition.submitting') : t('petition.submit')}
          </button>
          <p className="field__hint">{t(petition.atRisk ? 'atRisk.signPrivacy' : 'petition.privacy')} <a href="/privacy" {...(compact ? { target: '_blank', rel: 'noopener' } : {})}>{t('petition.privacyLink')}</a></p>
        </ConformForm>
      )}
      {!compact && petition.recent.length > 0 ? (
        <div className="recent-signers">
          <h3>{t('petition.recent')}</h3>
          <ul>
            {petition.recent.map((r, i) => (
              <li key={i}>{r.name ? `${r.name}, ${r.country}` : t('atRisk.recentSigner', { country: r.country })}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {!compact && petition.messages.length > 0 ? (
        <div className="support-messages">
          <h3>{t('petition.messages')}</h3>
          <ul>
            {petition.messages.map((m) => (
              <li key={m.id}>
                <blockquote className="support-message">{m.message}</blockquote>
                <p className="muted">{`— ${m.name ?? t('petition.aSupporter')}, ${m.country}`}</p>
                {m.replies.map((reply, i) => (
                  <div key={i} className="reply">
                    <strong>{t('petition.teamReply', { organization: petition.organizationName })}</strong>
                    <p>{reply}</p>
                  </div>
                ))}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  )
}
