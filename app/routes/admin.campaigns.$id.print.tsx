import type { LinksFunction, LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { PrintSheet } from '~/components/print-sheet.tsx'
import { loadPrintSheet } from '~/workflows/print.server.ts'
import { requireCampaignRole } from '~/workflows/session.server.ts'
import printStyles from '~/styles/print.css?url'
import { isLanguage, LANGUAGE_NAMES, LANGUAGES } from '~/utils/i18n.ts'
import { qrCodePath } from '~/utils/print.ts'

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: printStyles }]

// Everything here is public once the campaign is (ADR 011): every campaign role may use it.
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { campaign } = await requireCampaignRole(context.db, request, params.id, 'viewer')
  const wanted = new URL(request.url).searchParams.get('locale')
  const lang = isLanguage(wanted) ? wanted : context.lang
  const preview = await loadPrintSheet(context.db, { slug: campaign.slug, lang, size: 'a4' })
  return { slug: campaign.slug, lang, preview }
}

export default function CampaignPrint() {
  const { slug, lang, preview } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  return (
    <section className="admin-section print-admin">
      <h2>{t('admin.print.title')}</h2>
      <p>{t('admin.print.intro')}</p>
      {preview ? null : (
        <p className="notice" role="note">
          {t('admin.print.notPublic')}
        </p>
      )}
      <div className="print-admin__table">
        <table className="table">
          <caption>{t('admin.print.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.print.language')}</th>
              <th scope="col">{t('admin.print.poster')}</th>
              <th scope="col">{t('admin.print.flyer')}</th>
              <th scope="col">{t('admin.print.svg')}</th>
              <th scope="col">{t('admin.print.png')}</th>
            </tr>
          </thead>
          <tbody>
            {LANGUAGES.map((l) => (
              <tr key={l}>
                <th scope="row" lang={l}>
                  {LANGUAGE_NAMES[l]}
                </th>
                <td>
                  <a href={`/c/${slug}/print/a4?lng=${l}`}>{t('admin.print.poster')}</a>
                </td>
                <td>
                  <a href={`/c/${slug}/print/a5?lng=${l}`}>{t('admin.print.flyer')}</a>
                </td>
                <td>
                  <a href={qrCodePath({ slug, source: 'qr', lang: l, format: 'svg' })} download>
                    {t('admin.print.svg')}
                  </a>
                </td>
                <td>
                  <a href={qrCodePath({ slug, source: 'qr', lang: l, format: 'png' })} download>
                    {t('admin.print.png')}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {preview ? (
        <>
          <h3>{t('admin.print.preview')}</h3>
          <p className="row">
            {LANGUAGES.map((l) => (
              <Link key={l} to={`?locale=${l}`} aria-current={l === lang ? 'page' : undefined}>
                {LANGUAGE_NAMES[l]}
              </Link>
            ))}
          </p>
          <div className="print-admin__preview">
            <PrintSheet sheet={preview} titleTag="h4" />
          </div>
        </>
      ) : null}
    </section>
  )
}
