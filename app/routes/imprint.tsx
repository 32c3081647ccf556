import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { LegalPageView } from '~/components/legal-page-view.tsx'
import { getLegalPage } from '~/workflows/legal-pages.server.ts'
import { getT } from '~/utils/i18n.server.ts'

export async function loader({ context }: LoaderFunctionArgs) {
  return { page: 'imprint' as const, title: getT(context.lang)('legal.imprint.title'), ...(await getLegalPage(context.db, { page: 'imprint', lang: context.lang })) }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? '' }]

export default function Page() {
  return <LegalPageView data={useLoaderData<typeof loader>()} />
}
