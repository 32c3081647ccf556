import { useTranslation } from 'react-i18next'
import { useRootData } from '~/root.tsx'

/** The home page's headline and intro: the team's own (Branding, per language), else Vigil's. */
export function HomeIntro() {
  const brand = useRootData()?.brand
  const { t } = useTranslation()
  return (
    <section className="home-intro">
      <h1>{brand?.headline || t('home.title')}</h1>
      <p className="lede">{brand?.intro || t('home.intro')}</p>
    </section>
  )
}
