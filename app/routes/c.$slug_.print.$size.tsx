import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { PrintSheet } from '~/components/print-sheet.tsx'
import { ErrorPage } from '~/root.tsx'
import { loadPrintSheet } from '~/workflows/print.server.ts'
import { getT } from '~/utils/i18n.server.ts'
import printStyles from '~/styles/print.css?url'
import { isPrintSize, requestedLanguage } from '~/utils/print.ts'

// The print stylesheet (page size, nothing but the sheet on paper) is this route's only.
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: printStyles }]

export async function loader({ params, request, context }: LoaderFunctionArgs) {
  const t = getT(context.lang)
  if (!isPrintSize(params.size)) throw data(t('print.errors.size'), { status: 404 })
  if (requestedLanguage(new URL(request.url).searchParams) === 'invalid') throw data(t('print.errors.language'), { status: 400 })
  const sheet = await loadPrintSheet(context.db, { slug: params.slug ?? '', lang: context.lang, size: params.size })
  if (!sheet) throw data(t('print.errors.campaign'), { status: 404 })
  return { sheet, pageTitle: t(`print.title_${sheet.size}`, { title: sheet.title.value }) }
}

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: loaded?.pageTitle ?? 'Vigil' },
  // A page to print, not one to find: the campaign page is the one search engines should show.
  { name: 'robots', content: 'noindex' },
]

export default function PrintPage() {
  const { sheet } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  const size = sheet.size.toUpperCase()
  return (
    <main className="print-page">
      <div className="wrap print-toolbar">
        <button type="button" className="button" onClick={() => window.print()}>
          {t('print.button')}
        </button>
        <p className="muted">{t('print.hint', { size })}</p>
      </div>
      <PrintSheet sheet={sheet} />
    </main>
  )
}

/** The 4xx says what was wrong (size, language, campaign), in the visitor's language. */
export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage error={error} message={isRouteErrorResponse(error) && typeof error.data === 'string' ? error.data : undefined} />
}
