import { useTranslation } from 'react-i18next'

/** The home page's headline and intro: the team's own (Branding, per language), else Vigil's. */
export function HomeIntro({ headline, intro }: { headline?: string | null; intro?: string | null }) {
  const { t } = useTranslation()
  return (
    <section className="home-intro">
      <h1>{headline || t('home.title')}</h1>
      <p className="lede">{intro || t('home.intro')}</p>
    </section>
  )
}
