import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { formatDate, formatNumber, type Language } from '~/utils/i18n.ts'
import type { Localized } from './campaign-view.tsx'

/** app/models/milestones.server.ts's MilestoneSummary. */
export type NextMilestoneSummary = {
  next: { threshold: number; happens: Localized | null; remaining: number } | null
  reached: { threshold: number; reachedOn: string }[]
}

/**
 * Under the petition text: "At 10,000 signatures we deliver the petition to …", how many to go,
 * and the milestones reached so far. The team's text may be in the campaign's default language
 * when the page's is missing: it carries its own `lang`.
 */
export function NextMilestone({ summary, lang }: { summary: NextMilestoneSummary; lang: Language }): ReactNode {
  const { t } = useTranslation()
  const { next, reached } = summary
  if (!next && reached.length === 0) return null
  return (
    <section className="milestones" aria-labelledby="milestones-heading">
      <h3 id="milestones-heading" className="visually-hidden">
        {t('milestones.heading')}
      </h3>
      {next ? (
        <p className="milestones__next">
          <strong>
            {next.happens ? (
              <>
                {t('milestones.at', { n: formatNumber(next.threshold, lang) })}{' '}
                <span lang={next.happens.lang === lang ? undefined : next.happens.lang}>{next.happens.value}</span>
              </>
            ) : (
              t('milestones.next', { n: formatNumber(next.threshold, lang) })
            )}
          </strong>
          {next.remaining > 0 ? (
            <>
              {' '}
              <span className="muted">{t('milestones.remaining', { count: next.remaining, n: formatNumber(next.remaining, lang) })}</span>
            </>
          ) : null}
        </p>
      ) : null}
      {reached.length > 0 ? (
        <details className="milestones__reached">
          <summary>{t('milestones.reachedTitle')}</summary>
          <ul>
            {reached.map((m) => (
              <li key={m.threshold}>{t('milestones.reachedItem', { n: formatNumber(m.threshold, lang), date: formatDate(m.reachedOn, lang) })}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  )
}
