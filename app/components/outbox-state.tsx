import { Link } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { formatNumber, type Language } from '~/utils/i18n.ts'

/** What the back office shows of the outbox's figures: counts only; update mail (null) for owners only (ADR 011). */
export type OutboxStateData = {
  confirmationsQueued: number
  otherQueued: number
  updatesRemaining: number | null
  oldestConfirmationAgeMs: number | null
  acceptedLastMinute: number
  ratePerSecond: number | null
  rateSource: 'measured' | 'configured' | null
  transactionalEmptyInMs: number | null
  everythingEmptyInMs: number | null
}

const unitFormats = new Map<string, Intl.NumberFormat>()
function unit(value: number, name: 'minute' | 'hour', lang: Language) {
  const key = `${lang}:${name}`
  let format = unitFormats.get(key)
  if (!format) unitFormats.set(key, (format = new Intl.NumberFormat(lang, { style: 'unit', unit: name, unitDisplay: 'long' })))
  return format.format(value)
}

/** A wait as an organiser reads it: whole minutes (an age rounded down, an estimate up), whole hours from 90 minutes. */
function useWait(lang: Language) {
  const { t } = useTranslation()
  return (ms: number, { age = false } = {}) => {
    if (age && ms < 60_000) return t('admin.outbox.state.underAMinute')
    const round = age ? Math.floor : Math.ceil
    const minutes = Math.max(1, round(ms / 60_000))
    return minutes < 90 ? unit(minutes, 'minute', lang) : unit(round(minutes / 60), 'hour', lang)
  }
}

const rate = (perSecond: number, lang: Language) => formatNumber(Math.round(perSecond * 10) / 10, lang)

export function OutboxState({ state, demo, requestsPerSecond, lang }: { state: OutboxStateData; demo: boolean; requestsPerSecond: number; lang: Language }) {
  const { t } = useTranslation()
  const wait = useWait(lang)
  const estimate = (ms: number | null) => (ms === null ? t('admin.outbox.state.unknown') : ms === 0 ? t('admin.outbox.state.nothing') : wait(ms))
  return (
    <section aria-labelledby="outbox-state">
      <h2 id="outbox-state">{t('admin.outbox.state.title')}</h2>
      <dl className="stats stats--wrap">
        <div>
          <dt>{t('admin.outbox.state.confirmations')}</dt>
          <dd>{formatNumber(state.confirmationsQueued, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.outbox.state.other')}</dt>
          <dd>{formatNumber(state.otherQueued, lang)}</dd>
        </div>
        {state.updatesRemaining === null ? null : (
          <div>
            <dt>{t('admin.outbox.state.updates')}</dt>
            <dd>{formatNumber(state.updatesRemaining, lang)}</dd>
          </div>
        )}
        <div>
          <dt>{t('admin.outbox.state.oldest')}</dt>
          <dd>{state.oldestConfirmationAgeMs === null ? t('admin.outbox.state.nothing') : wait(state.oldestConfirmationAgeMs, { age: true })}</dd>
        </div>
        <div>
          <dt>{t(demo ? 'admin.outbox.state.acceptedDemo' : 'admin.outbox.state.accepted')}</dt>
          <dd>{formatNumber(state.acceptedLastMinute, lang)}</dd>
        </div>
        <div>
          <dt>{t('admin.outbox.state.emptyIn')}</dt>
          <dd>{estimate(state.transactionalEmptyInMs)}</dd>
        </div>
        {state.updatesRemaining === null ? null : (
          <div>
            <dt>{t('admin.outbox.state.everythingIn')}</dt>
            <dd>{estimate(state.everythingEmptyInMs)}</dd>
          </div>
        )}
      </dl>
      <p className="muted">
        {demo
          ? t('admin.outbox.state.demo')
          : state.rateSource === 'measured'
            ? t('admin.outbox.state.measured', { rate: rate(state.ratePerSecond ?? 0, lang) })
            : state.rateSource === 'configured'
              ? t('admin.outbox.state.configured', { requests: formatNumber(requestsPerSecond, lang), rate: rate(state.ratePerSecond ?? 0, lang) })
              : t('admin.outbox.state.unpaced')}
      </p>
    </section>
  )
}

/** The dashboard's warning when confirmations wait too long: what is happening, and who can do what about it. */
export function BacklogBanner({ state, isOwner, lang }: { state: OutboxStateData; isOwner: boolean; lang: Language }) {
  const { t } = useTranslation()
  const wait = useWait(lang)
  // Nothing accepted for a minute while mail waits: no sender is running, or the provider refuses everything.
  const stalled = state.acceptedLastMinute === 0
  return (
    <div className="notice notice--error" role="status">
      <p>
        {t('admin.backlog.late', {
          count: state.confirmationsQueued,
          queued: formatNumber(state.confirmationsQueued, lang),
          age: wait(state.oldestConfirmationAgeMs ?? 0, { age: true }),
        })}{' '}
        {t(stalled ? 'admin.backlog.stalled' : 'admin.backlog.why')}
      </p>
      <p>
        {t(stalled ? (isOwner ? 'admin.backlog.stalledOwner' : 'admin.backlog.stalledOthers') : isOwner ? 'admin.backlog.owner' : 'admin.backlog.others')}{' '}
        <Link to="/admin/outbox">{t('admin.backlog.link')}</Link>
      </p>
    </div>
  )
}
