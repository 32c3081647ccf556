import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLocation,
  useMatches,
  useRouteError,
  useRouteLoaderData,
  type ShouldRevalidateFunction,
} from '@remix-run/react'
import { useEffect } from 'react'
import { useTranslation } from 'react-i18next'
import { legalPagesToReview, getSiteSettings } from './models/site-settings.server.ts'
import { getEnv } from './utils/config.server.ts'
import { getOrganizer } from './workflows/session.server.ts'
import appStyles from './styles/app.css?url'
import { LANGUAGE_NAMES, LANGUAGE_PARAM, LANGUAGES, type Language } from './utils/i18n.ts'
import { LEGAL_PAGE_NAMES } from './utils/legal.ts'
import { useNonce } from './utils/nonce.tsx'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: appStyles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

// An error page rendered by this boundary has no route's meta: it still needs a title.
export const meta: MetaFunction<typeof loader> = ({ data, error }) => (error ? [{ title: data?.brand.name ?? 'Vigil' }] : [])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const env = getEnv()
  // Without a session cookie this returns before touching the database.
  const organizer = await getOrganizer(context.db, request)
  // Read from memory (site-settings.server.ts), not from the database on every page.
  const settings = await getSiteSettings(context.db)
  return {
    lang: context.lang,
    demo: env.mode === 'demo',
    publicUrl: env.publicUrl,
    organizer: organizer ? { name: organizer.name, role: organizer.role } : null,
    brand: {
      name: settings.teamName,
      logoPath: settings.logoPath,
      // The accent lives in /brand.css (the CSP allows no inline styles); its URL changes with it.
      stylesheet: settings.accentColor ? `/brand.css?v=${settings.version}` : null,
      headline: settings.texts[`headline:${context.lang}`]?.body ?? null,
      intro: settings.texts[`intro:${context.lang}`]?.body ?? null,
    },
    // Live mode only: the dashboard warns until an owner has saved every legal page.
    legalToReview: organizer && env.mode === 'live' ? await legalPagesToReview(context.db) : null,
  }
}

// Signing a petition changes nothing the layout shows (language, demo mode, who is logged in).
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, formAction, defaultShouldRevalidate }) =>
  formMethod?.toUpperCase() === 'POST' && (formAction?.startsWith('/c/') || formAction?.startsWith('/embed/')) ? false : defaultShouldRevalidate

export type RootData = Awaited<ReturnType<typeof loader>>

export function useRootData() {
  return useRouteLoaderData<typeof loader>('root')
}

function LanguageSwitcher({ current }: { current: Language }) {
  const { t } = useTranslation()
  const location = useLocation()
  return (
    <nav aria-label={t('nav.language')} className="language-switcher">
      <ul>
        {LANGUAGES.map((lng) => {
          const params = new URLSearchParams(location.search)
          params.set(LANGUAGE_PARAM, lng)
          return (
            <li key={lng}>
              {/* A full load: the whole document, <html lang> and catalogs switch together. */}
              <Link
                to={`${location.pathname}?${params}`}
                reloadDocument
                hrefLang={lng}
                lang={lng}
                aria-current={lng === current ? 'true' : undefined}
              >
                {LANGUAGE_NAMES[lng]}
              </Link>
            </li>
          )
        })}
      </ul>
    </nav>
  )
}

function Alternates({ publicUrl }: { publicUrl: string }) {
  const { pathname } = useLocation()
  if (pathname.startsWith('/admin')) return null
  const base = `${publicUrl}${pathname}`
  return (
    <>
      {LANGUAGES.map((lng) => (
        <link key={lng} rel="alternate" hrefLang={lng} href={`${base}?${LANGUAGE_PARAM}=${lng}`} />
      ))}
      <link rel="alternate" hrefLang="x-default" href={base} />
    </>
  )
}

/**
 * Before the first paint: what the page's scripts will be able to do, as classes on <html>, so
 * that CSS gives the controls that need them their room from the start. Added at hydration,
 * they would push the page down under a reader who scrolled first (the share buttons: 82 px on
 * a phone; tests/e2e/responsive-images.test.ts).
 */
function markEnhanced(root: HTMLElement, nav: Navigator) {
  root.classList.add('js')
  if (typeof nav.share === 'function') root.classList.add('can-share')
}
const ENHANCED = `(${markEnhanced.toString()})(document.documentElement,navigator)`

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRootData()
  const nonce = useNonce()
  const { t, i18n } = useTranslation()
  const lang = data?.lang ?? (i18n.language as Language) ?? 'en'
  // Embed pages (route handle `bare`) sit in another site's frame: no header, footer or switcher.
  const bare = useMatches().some((match) => (match.handle as { bare?: boolean } | undefined)?.bare)
  // Again once the app runs: a hydration that fails renders a new <html>, without the classes.
  useEffect(() => markEnhanced(document.documentElement, navigator), [])
  return (
    // The classes the script below adds are not React's: hydration leaves them alone.
    <html lang={lang} dir="ltr" suppressHydrationWarning>
      <head>
        <meta charSet="utf-8" />
        <script nonce={nonce} suppressHydrationWarning dangerouslySetInnerHTML={{ __html: ENHANCED }} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <Meta />
        <Links />
        {data?.brand.stylesheet ? <link rel="stylesheet" href={data.brand.stylesheet} /> : null}
        {data && !bare ? <Alternates publicUrl={data.publicUrl} /> : null}
      </head>
      <body className={bare ? 'bare' : undefined}>
        {bare ? null : (
          <a className="skip-link" href="#main">
            {t('nav.skip')}
          </a>
        )}
        {bare ? null : (
          <header className="site-header">
            {/* Inside the header (the banner landmark), so no content sits outside a landmark. */}
            {data?.demo ? (
              <div className="demo-banner" role="note">
                {t('demo.banner')}
              </div>
            ) : null}
            <div className="wrap site-header__inner">
              <Link to="/" className="brand">
                {data?.brand.logoPath ? (
                  <img src={data.brand.logoPath} alt="" className="brand__logo" height={36} />
                ) : (
                  <span aria-hidden="true" className="brand__mark" />
                )}
                {data?.brand.name ?? 'Vigil'}
              </Link>
              <LanguageSwitcher current={lang} />
            </div>
          </header>
        )}
        <div id="main">{children}</div>
        {bare ? null : (
          <footer className="site-footer">
            <div className="wrap">
              <nav aria-label={t('footer.legal')}>
                <ul className="footer-links">
                  {LEGAL_PAGE_NAMES.map((page) => (
                    <li key={page}>
                      <Link to={`/${page}`}>{t(`legal.${page}.title`)}</Link>
                    </li>
                  ))}
                  <li>
                    <Link to="/me">{t('me.footer')}</Link>
                  </li>
                </ul>
              </nav>
              <p>{t('footer.privacy')}</p>
              {data?.organizer ? (
                <p>
                  {/* A full load: the back office's strings are fetched with its document (entry.client.tsx). */}
                  <Link to="/admin" reloadDocument>
                    {t('footer.backOffice')}
                  </Link>
                </p>
              ) : null}
            </div>
          </footer>
        )}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage error={error} />
}

/** `message`: a route's own explanation (what exactly was wrong), instead of the general one. */
export function ErrorPage({ error, message }: { error: unknown; message?: string }) {
  const { t } = useTranslation()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const kind = status === 404 ? 'notFound' : status === 403 ? 'forbidden' : status < 500 ? 'badRequest' : 'crash'
  return (
    <main className="wrap page error-page">
      <p className="eyebrow">{t('errors.status', { status })}</p>
      <h1>{t(`errors.${kind}.title`)}</h1>
      <p>{message ?? t(`errors.${kind}.body`)}</p>
      <p>
        <Link to="/" className="button">
          {t('errors.home')}
        </Link>
      </p>
    </main>
  )
}
