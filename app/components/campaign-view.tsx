import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import type { PublicCampaign } from '~/models/campaigns.server.ts'
import { formatDate, languageName, type Language } from '~/utils/i18n.ts'

type Props = { campaign: PublicCampaign; lang: Language; petition?: ReactNode; donate?: ReactNode }

/** The public campaign page body; the admin preview renders the same component. */
export function CampaignView({ campaign, lang, petition, donate }: Props) {
  const { t } = useTranslation()
  return (
    <article className="campaign">
      <header className="campaign__hero">
        {campaign.imagePath ? (
          <img
            className="campaign__image"
            src={campaign.imagePath}
            alt={campaign.imageAlt.value}
            lang={campaign.imageAlt.lang}
            width={1200}
            height={630}
          />
        ) : null}
        <div className="wrap campaign__heading">
          {campaign.status !== 'live' ? (
            <p className={`status status--${campaign.status}`}>{t(`campaign.status.${campaign.status}`)}</p>
          ) : null}
          <h1 lang={campaign.title.lang}>{campaign.title.value}</h1>
          <p className="lede" lang={campaign.summary.lang}>
            {campaign.summary.value}
          </p>
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

        <aside className="campaign__actions" aria-label={t('campaign.actions')}>
          {petition ?? (
            <section className="panel panel--petition" id="petition" aria-labelledby="petition-title">
              <h2 id="petition-title">{t('petition.title')}</h2>
              {campaign.target ? <p className="panel__target">{t('petition.to', { target: campaign.target })}</p> : null}
              <blockquote className="petition-text" lang={campaign.petitionText.lang}>
                {campaign.petitionText.value}
              </blockquote>
            </section>
          )}
          {donate ?? null}
        </aside>

        <div className="campaign__main">
          <section aria-labelledby="story-title">
            <h2 id="story-title" className="section-title">
              {t('campaign.story')}
            </h2>
            <div
              className="prose"
              lang={campaign.storyHtml.lang}
              dangerouslySetInnerHTML={{ __html: campaign.storyHtml.value }}
            />
          </section>

          <section aria-labelledby="timeline-title" className="timeline">
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
                    <h3>{entry.title}</h3>
                    {entry.imagePath ? <img className="timeline__image" src={entry.imagePath} alt={entry.imageAlt} loading="lazy" /> : null}
                    <div className="prose" dangerouslySetInnerHTML={{ __html: entry.bodyHtml }} />
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
      </div>
    </article>
  )
}
