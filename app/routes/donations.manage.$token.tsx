import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { getDonation } from '~/models/donations.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { openPortalSession } from '~/utils/stripe-client.server.ts'
import { donationFromManageToken } from '~/utils/tokens.server.ts'
import { formatMoney } from '~/utils/i18n.ts'
import { passRetryAfter } from '~/utils/retry-after.ts'

/**
 * The link in a monthly donor's receipt. Opening it changes nothing (mail scanners open
 * links); the button opens Stripe's customer portal, where the gift can be changed or cancelled.
 */
async function giftFor(db: LoaderFunctionArgs['context']['db'], token: string) {
  const id = donationFromManageToken(token)
  const donation = id === null ? null : await getDonation(db, { id })
  if (!donation || donation.interval !== 'monthly') throw new Response('Not found', { status: 404 })
  return donation
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const gift = await giftFor(context.db, params.token ?? '')
  return {
    amount: formatMoney(gift.amountMinor, gift.currency, context.lang),
    ended: gift.subscriptionEndedAt !== null,
    ready: gift.stripeCustomerId !== null,
  }
}

export async function action({ params, context }: ActionFunctionArgs) {
  const gift = await giftFor(context.db, params.token ?? '')
  if (!gift.stripeCustomerId) throw new Response('Not ready', { status: 409 })
  const opened = await openPortalSession({ customerId: gift.stripeCustomerId, returnUrl: `${getEnv().publicUrl}/donations/manage/${params.token}`, locale: context.lang })
  if ('url' in opened) throw redirect(opened.url, 303)
  // The page again, saying what went wrong: the gift itself is not affected either way.
  return opened.problem === 'unknown'
    ? data({ problem: opened.problem }, { status: 409 })
    : data({ problem: opened.problem }, { status: 503, headers: { 'Retry-After': '60' } })
}

export const headers = passRetryAfter

export const meta: MetaFunction = () => [{ title: 'Vigil' }, { name: 'robots', content: 'noindex' }, { name: 'referrer', content: 'no-referrer' }]

export default function ManageGift() {
  const { amount, ended, ready } = useLoaderData<typeof loader>()
  const problem = useActionData<typeof action>()?.problem
  const { t } = useTranslation()
  return (
    <main className="wrap narrow">
      <h1>{t('donate.manage.title')}</h1>
      {ended ? (
        <p className="notice">{t('donate.manage.ended', { amount })}</p>
      ) : (
        <>
          <p>{t('donate.manage.body', { amount })}</p>
          {problem ? (
            <p className="notice notice--error" role="alert">
              {t(problem === 'unknown' ? 'donate.manage.unknown' : 'donate.manage.unavailable')}
            </p>
          ) : null}
          {ready ? (
            <Form method="post">
              <button type="submit" className="button">
                {t('donate.manage.open')}
              </button>
            </Form>
          ) : (
            <p className="notice">{t('donate.manage.notReady')}</p>
          )}
        </>
      )}
    </main>
  )
}
