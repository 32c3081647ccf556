import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { ResponsiveImage } from '~/components/responsive-image.tsx'
import { formatDate, formatNumber, languageName, type Language } from '~/utils/i18n.ts'
import type { ImageSet } from '~/utils/image-set.ts'
import type { CAMPAIGN_STATUSES } from '~/utils/schemas.ts'

/** A text and the language it is in (a field may fall back to the campaign's default language). */
export type Localized = { value: string; lang: Language }

/** What the page shows of a campaign: the campaign page's model (getPublicCampaign) returns it. */
export type CampaignViewData = {
  status: (typeof CAMPAIGN_STATUSES)[number]
  image: ImageSet | null
  imageAlt: Localized
  title: Localized
  summary: Localized
  storyHtml: Localized
  petitionText: Localized
  target: string | null
  organizationName: string
  /** The campaign's default language when some text fell back to it. */
  fallbackFrom: Language | null
  timeline: {
    id: number
    /** What made the entry (db/schema.ts UPDATE_KINDS); milestones and deliveries get a label. */
    kind: 'update' | 'milestone' | 'delivery' | 'response'
    happenedOn: string
    lang: Language
    title: string
    bodyHtml: string
    image: ImageSet | null
    imageAlt: string
  }[]
}

type Props = {
  campaign: CampaignViewData
  lang: Language
  petition?: ReactNode
  donate?: ReactNode
  /** Share links (app/components/share-links.tsx), after the forms. */
  share?: ReactNode
  /** The confirmed count and goal, for the call to action at the top. */
  progress?: { confirmed: number; goal: number }
  /** Whom the petition addresses (app/components/targets-list.tsx), instead of the one-line target. */
  targets?: ReactNode
  /** The next milestone (app/components/next-milestone.tsx), under the petition text. */
  milestone?: ReactNode
  /** The target's answers (app/components/target-responses.tsx), right above the timeline, at #response. */
  responses?: ReactNode
  /** Signatures by country (app/components/country-map.tsx), after the forms and before the answer. */
  countries?: ReactNode
}

/** The public campaign page body; the admin preview renders the same component. */
export function CampaignView({ campaign, lang, petition, donate, share, progress, targets, milestone, responses, countries }: Props) {
  const { t } = useTranslation()
  const timeline = (
    <section aria-labelledby="timeline-title" className={countries || responses ? 'timeline' : 'timeline campaign__timeline'}>
      <h2 id="timeline-title" className="section-title">
        {t('campaign.timeline')}
      </h2>
      {campaign.timeline.length === 0 ? (
        <p>{t('campaign.timelineEmpty')}</p>
      ) : (
        <ol className="timeline__list">
          {campaign.timeline.map((entry) => (
            <li key={entry.id} className="timeline__entry" lang={entry.lang}>
              <time dateTime={entry.happenedOn} lang={lang}>
                {formatDate(entry.happenedOn, lang)}
              </time>
              {entry.kind === 'milestone' || entry.kind === 'delivery' ? (
                <p className="muted timeline__kind" lang={lang}>
                  {t(`campaign.timelineKind.${entry.kind}`)}
                </p>
              ) : null}
              <h3>{entry.title}</h3>
              {entry.image ? <ResponsiveImage className="timeline__image" image={entry.image} alt={entry.imageAlt} layout="timeline" /> : null}
              <div className="prose" dangerouslySetInnerHTML={{ __html: entry.bodyHtml }} />
            </li>
          ))}
        </ol>
      )}
    </section>
  )
  return (
    <article className="campaign">
      <header className="campaign__hero">
        {campaign.image ? (
          <ResponsiveImage className="campaign__image" image={campaign.image} alt={campaign.imageAlt.value} lang={campaign.imageAlt.lang} layout="hero" priority />
        ) : null}
        <div className="wrap campaign__heading">
          <div className="campaign__title">
            {campaign.status !== 'live' ? (
              <p className={`status status--${campaign.status}`}>{t(`campaign.status.${campaign.status}`)}</p>
            ) : null}
            <h1 lang={campaign.title.lang}>{campaign.title.value}</h1>
            <p className="lede" lang={campaign.summary.lang}>
              {campaign.summary.value}
            </p>
          </div>
          {/* The call to action in the first screen at every width (beside the title at desktop
              width); the forms themselves come after the story. Plain links: no JavaScript needed. */}
          {campaign.status === 'live' || donate ? (
            <div className="campaign__cta">
              <p className="campaign__cta-buttons">
                {campaign.status === 'live' ? (
                  <a href="#petition" className="button">
                    {t('campaign.signCta')}
                  </a>
                ) : null}
                {donate ? (
                  <a href="#donate" className="button button--on-dark">
                    {t('campaign.donateCta')}
                  </a>
                ) : null}
              </p>
              {progress ? (
                <>
                  <p className="campaign__cta-count">
                    <strong>{t('petition.count', { count: progress.confirmed })}</strong>
                    {' · '}
                    {t('petition.goal', { goal: formatNumber(progress.goal, lang) })}
                  </p>
                  <progress className="campaign__cta-progress" max={progress.goal} value={progress.confirmed} aria-hidden="true" />
                </>
              ) : null}
            </div>
          ) : null}
          <p className="byline">{t('campaign.by', { organization: campaign.organizationName })}</p>
        </div>
      </header>

      <div className="wrap campaign__layout">
        {campaign.fallbackFrom && campaign.fallbackFrom !== lang ? (
          <p className="notice campaign__fallback" role="note">
            {t('campaign.fallback', {
              language: languageName(lang, lang),
              fallback: languageName(campaign.fallbackFrom, lang),
            })}
          </p>
        ) : null}

        {/* Story, then the forms, then the timeline: on a phone the story comes first and the forms
            follow it; at desktop width the forms sit beside both (the grid in app.css). */}
        <section aria-labelledby="story-title" className="campaign__story">
          <h2 id="story-title" className="section-title">
            {t('campaign.story')}
          </h2>
          <div
            className="prose"
            lang={campaign.storyHtml.lang}
            dangerouslySetInnerHTML={{ __html: campaign.storyHtml.value }}
          />
        </section>

        <aside className="campaign__actions" aria-label={t('campaign.actions')}>
          {petition ?? (
            <section className="panel panel--petition" id="petition" aria-labelledby="petition-title">
              <h2 id="petition-title">{t('petition.title')}</h2>
              {targets ?? (campaign.target ? <p className="panel__target">{t('petition.to', { target: campaign.target })}</p> : null)}
              <blockquote className="petition-text" lang={campaign.petitionText.lang}>
                {campaign.petitionText.value}
              </blockquote>
              {milestone ?? null}
            </section>
          )}
          {donate ?? null}
          {share ?? null}
        </aside>

        {/* The map and the answer share the timeline's place in the grid (after the forms on a phone,
            under the story at desktop width); without them the page is as it was. */}
        {countries || responses ? (
          <div className="campaign__timeline">
            {countries ?? null}
            {responses ? <div id="response">{responses}</div> : null}
            {timeline}
          </div>
        ) : (
          timeline
        )}
      </div>
    </article>
  )
}
