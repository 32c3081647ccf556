import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, NavLink, Outlet, useLoaderData, useLocation, useRouteError } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { ErrorPage } from '~/root.tsx'
import { requireOrganizer } from '~/workflows/session.server.ts'

export const meta: MetaFunction = () => [{ title: 'Vigil — back office' }, { name: 'robots', content: 'noindex' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const organizer = await requireOrganizer(context.db, request)
  return { organizer: { name: organizer.name, role: organizer.role } }
}

export default function AdminLayout() {
  const { organizer } = useLoaderData<typeof loader>()
  const { t } = useTranslation()
  const { pathname } = useLocation()
  const links = (
    <ul>
      <li>
        <NavLink to="/admin" end>
          {t('admin.nav.campaigns')}
        </NavLink>
      </li>
      <li>
        <NavLink to="/admin/outbox">{t('admin.nav.outbox')}</NavLink>
      </li>
      <li>
        <NavLink to="/admin/security">{t('admin.nav.security')}</NavLink>
      </li>
      {organizer.role === 'owner' ? (
        <>
          <li>
            <NavLink to="/admin/organizers">{t('admin.nav.organizers')}</NavLink>
          </li>
          <li>
            <NavLink to="/admin/audit">{t('admin.nav.audit')}</NavLink>
          </li>
          <li>
            <NavLink to="/admin/branding">{t('admin.nav.branding')}</NavLink>
          </li>
          <li>
            <NavLink to="/admin/legal">{t('admin.nav.legal')}</NavLink>
          </li>
          <li>
            <NavLink to="/admin/security-policy">{t('admin.nav.securityPolicy')}</NavLink>
          </li>
        </>
      ) : null}
    </ul>
  )
  const me = (
    <div className="admin-nav__me">
      <span>{t('admin.nav.signedInAs', { name: organizer.name, role: t(`admin.roles.${organizer.role}`) })}</span>
      <Form method="post" action="/admin/logout">
        <button type="submit" className="button button--quiet">
          {t('admin.nav.logout')}
        </button>
      </Form>
    </div>
  )
  return (
    <div className="admin">
      <nav className="admin-nav" aria-label={t('admin.nav.label')}>
        <div className="wrap admin-nav__inner">
          {/* Wide screens: a row of links. Narrow ones: the same links behind a Menu button (a
              details element: no JavaScript needed), closed again after each page change. */}
          <div className="admin-nav__wide">
            {links}
            {me}
          </div>
          <details className="admin-nav__menu" key={pathname}>
            <summary>{t('admin.nav.menu')}</summary>
            {links}
            {me}
          </details>
        </div>
      </nav>
      <Outlet />
    </div>
  )
}

export function ErrorBoundary() {
  return <ErrorPage error={useRouteError()} />
}
