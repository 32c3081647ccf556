/**
 * The hosted pages a supporter sees, each under a banner that says it is a demo. Self-contained HTML,
 * inline CSS, no scripts, no external requests; plain forms posting back here.
 *
 * `/c/pay/<session id>` (the session's `url`) and `/p/session/<token>` (the portal session's `url`; a secret
 * token, as Stripe's portal URLs are, not the session id). Paying answers 303 to success_url with
 * `{CHECKOUT_SESSION_ID}` replaced; Cancel answers 303 to cancel_url; a declined card answers 402 and
 * sends nothing. The portal cancels at once (customer.subscription.deleted); a real portal may be set up
 * to cancel at period end instead (customer.subscription.updated with cancel_at_period_end, deleted later).
 * Not modelled: expiry of sessions, failed renewals, refunds or disputes through the API, line item lists.
 */
import type http from 'node:http'
import { type PortalRecord, type SessionRecord, type createRenderers, formatAmount } from './objects.ts'
import type { Store } from './state.ts'
import type { CompleteOptions, createLifecycle } from './lifecycle.ts'
import { type PageTexts, pageTexts } from './texts.ts'

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

export function createPages(
  store: Store,
  { priceOf }: ReturnType<typeof createRenderers>,
  { complete, cancelSubscription }: ReturnType<typeof createLifecycle>,
) {
  const { products, sessions, customers, subscriptions, portalsByToken } = store
  const { log } = store.config

  const PAGE_STYLE = `
    *{box-sizing:border-box}
    body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f4f6;color:#1a1a2e}
    .banner{background:#ffd400;color:#111;border-bottom:4px solid #111;padding:1.1rem 1.5rem;font-size:1.35rem;text-align:center}
    .banner strong{font-size:1.6rem;display:block}
    main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:10px;padding:2rem;box-shadow:0 2px 10px rgba(0,0,0,.08)}
    h1{font-size:1.3rem;margin:0 0 .25rem}
    .amount{font-size:2.2rem;font-weight:700;margin:.25rem 0 1.5rem}
    .amount small{font-size:1rem;font-weight:400;color:#555}
    label{display:block;margin:.75rem 0;font-weight:600}
    input{display:block;width:100%;padding:.6rem;margin-top:.25rem;font:inherit;border:1px solid #bbb;border-radius:6px}
    input[readonly]{background:#eee}
    button{display:block;width:100%;padding:.8rem;margin:.6rem 0;font:inherit;font-weight:600;border-radius:6px;border:1px solid #333;background:#fff;cursor:pointer}
    button.primary{background:#1a1a2e;color:#fff}
    button.secondary{border-style:dashed}
    .error{background:#fde2e1;border:1px solid #c0392b;color:#7b1d14;padding:.75rem;border-radius:6px}
    .notice{background:#e3f4e8;border:1px solid #2e7d32;padding:.75rem;border-radius:6px}
    ul{list-style:none;padding:0}
    li{border:1px solid #ddd;border-radius:6px;padding:1rem;margin:.75rem 0}
    .muted{color:#555;font-size:.9rem}
  `

  function page(texts: PageTexts, stands: 'checkout' | 'portal', title: string, content: string): string {
    return `<!doctype html>
<html lang="${texts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div class="banner" role="note"><strong>${escapeHtml(texts.banner)}</strong> ${escapeHtml(stands === 'portal' ? texts.bannerPortal : texts.bannerCheckout)}</div>
<main>
${content}
</main>
</body>
</html>
`
  }

  function sendHtml(response: http.ServerResponse, status: number, html: string) {
    response.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // No form-action: paying redirects to Vigil's success URL, which form-action would block in Chrome.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    })
    response.end(html)
  }

  function redirect(response: http.ServerResponse, location: string) {
    response.writeHead(303, { location, 'cache-control': 'no-store' })
    response.end()
  }

  function successLocation(session: SessionRecord): string | null {
    return session.successUrl ? session.successUrl.split('{CHECKOUT_SESSION_ID}').join(session.id) : null
  }

  function checkoutPage(session: SessionRecord, error: string | null): string {
    const texts = pageTexts(session.locale)
    const price = priceOf(session.priceId)
    const product = products.get(price.productId)
    const name = product?.name ?? texts.donation
    const recurring = price.recurring
    const per = recurring
      ? ` <small>${escapeHtml(recurring.intervalCount === 1 && recurring.interval === 'month' ? texts.perMonth : texts.perInterval(recurring.intervalCount, texts.statuses[recurring.interval] ?? recurring.interval))}</small>`
      : ''
    const email = session.customerEmail
    const sepa =
      session.mode === 'payment'
        ? `<button type="submit" name="action" value="sepa">${escapeHtml(texts.paySepa)}</button>
<button type="submit" name="action" value="sepa_failed" class="secondary">${escapeHtml(texts.sepaFails)}</button>`
        : ''
    const cancel = session.cancelUrl
      ? `<button type="submit" name="action" value="cancel" formnovalidate class="secondary">${escapeHtml(texts.cancel)}</button>`
      : ''
    return page(
      texts,
      'checkout',
      texts.checkoutTitle(name),
      `<h1>${escapeHtml(name)}</h1>
${product?.description ? `<p class="muted">${escapeHtml(product.description)}</p>` : ''}
<p class="amount">${escapeHtml(formatAmount(session.amount, session.currency, texts.lang))}${per}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/c/pay/${escapeHtml(session.id)}">
<label>${escapeHtml(texts.email)}<input type="email" name="email" autocomplete="email" ${email ? `value="${escapeHtml(email)}" readonly` : 'value="supporter@example.org" required'}></label>
<label>${escapeHtml(texts.name)}<input type="text" name="name" autocomplete="name" value="Demo Supporter"></label>
<button type="submit" name="action" value="card" class="primary">${escapeHtml(texts.payCard)}</button>
<button type="submit" name="action" value="card_declined" class="secondary">${escapeHtml(texts.cardDeclined)}</button>
${sepa}
${cancel}
</form>
<p class="muted">${escapeHtml(texts.noCardNote)}</p>`,
    )
  }

  function handleCheckoutPage(
    method: string,
    sessionId: string,
    form: URLSearchParams,
    response: http.ServerResponse,
  ) {
    const session = sessions.get(sessionId)
    if (!session) {
      const texts = pageTexts(null)
      sendHtml(response, 404, page(texts, 'checkout', texts.notFound, `<h1>${escapeHtml(texts.checkoutMissing)}</h1>`))
      return
    }
    const texts = pageTexts(session.locale)
    if (session.status !== 'open') {
      const location = successLocation(session)
      sendHtml(
        response,
        200,
        page(
          texts,
          'checkout',
          texts.checkoutCompleteTitle,
          `<h1>${escapeHtml(texts.checkoutComplete)}</h1><p class="notice">${escapeHtml(texts.paymentStatus(texts.statuses[session.paymentStatus] ?? session.paymentStatus))}</p>${location ? `<p><a href="${escapeHtml(location)}">${escapeHtml(texts.continue)}</a></p>` : ''}`,
        ),
      )
      return
    }
    if (method !== 'POST') {
      sendHtml(response, 200, checkoutPage(session, null))
      return
    }
    const action = form.get('action') ?? ''
    const person = { email: form.get('email') ?? undefined, name: form.get('name') ?? undefined }
    log(`stripe stand-in: checkout page action ${action} on ${session.id}`)
    if (action === 'cancel' && session.cancelUrl) {
      redirect(response, session.cancelUrl)
      return
    }
    const choices: Record<string, CompleteOptions> = {
      card: { method: 'card', outcome: 'succeeded' },
      card_declined: { method: 'card', outcome: 'failed' },
      sepa: { method: 'sepa', outcome: 'succeeded' },
      sepa_failed: { method: 'sepa', outcome: 'failed' },
    }
    const choice = choices[action]
    if (!choice || (choice.method === 'sepa' && session.mode !== 'payment')) {
      sendHtml(response, 400, checkoutPage(session, texts.chooseButton))
      return
    }
    const result = complete(session.id, { ...choice, ...person })
    if (result.declined) {
      sendHtml(response, 402, checkoutPage(session, texts.declined))
      return
    }
    const location = successLocation(session)
    if (location) redirect(response, location)
    else sendHtml(response, 200, page(texts, 'checkout', texts.paidTitle, `<h1>${escapeHtml(texts.thankYou)}</h1><p class="notice">${escapeHtml(texts.paid)}</p>`))
  }

  /** The portal speaks the portal session's locale, else its customer's, as Stripe's does. */
  function portalTexts(portal: PortalRecord) {
    return pageTexts(portal.locale && portal.locale !== 'auto' ? portal.locale : customers.get(portal.customer)?.locale)
  }

  function portalPage(portal: PortalRecord, notice: string | null): string {
    const texts = portalTexts(portal)
    const customer = customers.get(portal.customer)
    const rows = [...subscriptions.values()]
      .filter((subscription) => subscription.customer === portal.customer)
      .reverse()
      .map((subscription) => {
        const price = priceOf(subscription.priceId)
        const name = products.get(price.productId)?.name ?? texts.donation
        const amount = formatAmount(price.unitAmount * subscription.quantity, price.currency, texts.lang)
        const interval = price.recurring?.interval ?? 'month'
        const action =
          subscription.status === 'active'
            ? `<form method="post" action="/p/session/${escapeHtml(portal.token)}/cancel"><input type="hidden" name="subscription" value="${escapeHtml(subscription.id)}"><button type="submit">${escapeHtml(texts.cancelSubscription)}</button></form>`
            : `<p class="muted">${escapeHtml(texts.canceledOn(new Date((subscription.canceledAt ?? 0) * 1000).toISOString().slice(0, 10)))}</p>`
        return `<li><strong>${escapeHtml(name)}</strong><br>${escapeHtml(texts.perPeriod(amount, texts.statuses[interval] ?? interval, texts.statuses[subscription.status] ?? subscription.status))}${action}</li>`
      })
    return page(
      texts,
      'portal',
      texts.portalTitle,
      `<h1>${escapeHtml(texts.portalHeading)}</h1>
${customer ? `<p class="muted">${escapeHtml(customer.email)}</p>` : ''}
${notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}
${rows.length > 0 ? `<ul>${rows.join('\n')}</ul>` : `<p>${escapeHtml(texts.noSubscriptions)}</p>`}
${portal.returnUrl ? `<p><a href="${escapeHtml(portal.returnUrl)}">${escapeHtml(texts.returnToSite)}</a></p>` : ''}`,
    )
  }

  function handlePortalPage(
    method: string,
    portalToken: string,
    action: string | null,
    form: URLSearchParams,
    query: URLSearchParams,
    response: http.ServerResponse,
  ) {
    const portal = portalsByToken.get(portalToken)
    if (!portal) {
      const texts = pageTexts(null)
      sendHtml(response, 404, page(texts, 'portal', texts.notFound, `<h1>${escapeHtml(texts.portalMissing)}</h1>`))
      return
    }
    if (method === 'POST' && action === 'cancel') {
      const subscription = subscriptions.get(form.get('subscription') ?? '')
      if (!subscription || subscription.customer !== portal.customer) {
        sendHtml(response, 404, portalPage(portal, portalTexts(portal).subscriptionMissing))
        return
      }
      if (subscription.status === 'active') cancelSubscription(subscription.id, null)
      log(`stripe stand-in: portal canceled ${subscription.id}`)
      redirect(response, `/p/session/${portal.token}?canceled=${encodeURIComponent(subscription.id)}`)
      return
    }
    if (method !== 'GET' || action !== null) {
      sendHtml(response, 405, portalPage(portal, null))
      return
    }
    sendHtml(response, 200, portalPage(portal, query.get('canceled') ? portalTexts(portal).canceledNotice : null))
  }

  return { page, sendHtml, handleCheckoutPage, handlePortalPage }
}
