/**
 * What the stand-in's pages say, in the donor's language: the Checkout Session's `locale`, or for
 * the portal the portal session's, else its customer's (as Stripe chooses). Vigil sends en, de and
 * es; any other locale, and `auto`, fall back to English. The banner names the page it stands in for.
 */
export type PageTexts = {
  lang: string
  banner: string
  bannerCheckout: string
  bannerPortal: string
  checkoutTitle: (name: string) => string
  donation: string
  perMonth: string
  perInterval: (count: number, interval: string) => string
  email: string
  name: string
  payCard: string
  cardDeclined: string
  paySepa: string
  sepaFails: string
  cancel: string
  noCardNote: string
  chooseButton: string
  declined: string
  notFound: string
  checkoutMissing: string
  checkoutComplete: string
  checkoutCompleteTitle: string
  paymentStatus: (status: string) => string
  continue: string
  paidTitle: string
  thankYou: string
  paid: string
  portalTitle: string
  portalHeading: string
  cancelSubscription: string
  canceledOn: (date: string) => string
  perPeriod: (amount: string, interval: string, status: string) => string
  noSubscriptions: string
  returnToSite: string
  canceledNotice: string
  subscriptionMissing: string
  portalMissing: string
  statuses: Record<string, string>
}

const en: PageTexts = {
  lang: 'en',
  banner: 'Demo — no money moves.',
  bannerCheckout: 'This page stands in for Stripe Checkout.',
  bannerPortal: 'This page stands in for the Stripe customer portal.',
  checkoutTitle: (name) => `Demo checkout: ${name}`,
  donation: 'Donation',
  perMonth: 'per month',
  perInterval: (count, interval) => (count === 1 ? `per ${interval}` : `every ${count} ${interval}s`),
  email: 'Email',
  name: 'Name',
  payCard: 'Pay by card',
  cardDeclined: 'Card declined',
  paySepa: 'Pay by SEPA Direct Debit (settles in a few seconds)',
  sepaFails: 'SEPA Direct Debit that fails',
  cancel: 'Cancel',
  noCardNote: 'No card details are asked for and nothing is charged: each button plays what Stripe would do.',
  chooseButton: 'Choose one of the buttons below.',
  declined: 'Your card was declined. Nothing was charged; try another button.',
  notFound: 'Not found',
  checkoutMissing: 'This checkout page does not exist.',
  checkoutComplete: 'This checkout is complete.',
  checkoutCompleteTitle: 'Checkout complete',
  paymentStatus: (status) => `Payment status: ${status}.`,
  continue: 'Continue',
  paidTitle: 'Payment received',
  thankYou: 'Thank you.',
  paid: 'The demo payment went through.',
  portalTitle: 'Demo customer portal',
  portalHeading: 'Your recurring donations',
  cancelSubscription: 'Cancel subscription',
  canceledOn: (date) => `Canceled on ${date}.`,
  perPeriod: (amount, interval, status) => `${amount} per ${interval} · ${status}`,
  noSubscriptions: 'No subscriptions.',
  returnToSite: 'Return to the site',
  canceledNotice: 'Your subscription was canceled.',
  subscriptionMissing: 'That subscription was not found.',
  portalMissing: 'This portal link does not exist.',
  statuses: { active: 'active', canceled: 'canceled', paid: 'paid', unpaid: 'unpaid', month: 'month' },
}

const de: PageTexts = {
  lang: 'de',
  banner: 'Demo – es fließt kein Geld.',
  bannerCheckout: 'Diese Seite steht für Stripe Checkout.',
  bannerPortal: 'Diese Seite steht für das Kundenportal von Stripe.',
  checkoutTitle: (name) => `Demo-Bezahlseite: ${name}`,
  donation: 'Spende',
  perMonth: 'pro Monat',
  perInterval: (count, interval) => (count === 1 ? `pro ${interval}` : `alle ${count} ${interval}`),
  email: 'E-Mail',
  name: 'Name',
  payCard: 'Mit Karte zahlen',
  cardDeclined: 'Karte abgelehnt',
  paySepa: 'Per SEPA-Lastschrift zahlen (in wenigen Sekunden gebucht)',
  sepaFails: 'SEPA-Lastschrift, die scheitert',
  cancel: 'Abbrechen',
  noCardNote: 'Es werden keine Kartendaten abgefragt und nichts abgebucht: Jede Schaltfläche spielt nach, was Stripe tun würde.',
  chooseButton: 'Bitte wählen Sie eine der Schaltflächen unten.',
  declined: 'Ihre Karte wurde abgelehnt. Es wurde nichts abgebucht; versuchen Sie eine andere Schaltfläche.',
  notFound: 'Nicht gefunden',
  checkoutMissing: 'Diese Bezahlseite gibt es nicht.',
  checkoutComplete: 'Diese Bezahlung ist abgeschlossen.',
  checkoutCompleteTitle: 'Bezahlung abgeschlossen',
  paymentStatus: (status) => `Zahlungsstatus: ${status}.`,
  continue: 'Weiter',
  paidTitle: 'Zahlung erhalten',
  thankYou: 'Vielen Dank.',
  paid: 'Die Demo-Zahlung ist durchgegangen.',
  portalTitle: 'Demo-Kundenportal',
  portalHeading: 'Ihre regelmäßigen Spenden',
  cancelSubscription: 'Abonnement kündigen',
  canceledOn: (date) => `Gekündigt am ${date}.`,
  perPeriod: (amount, interval, status) => `${amount} pro ${interval} · ${status}`,
  noSubscriptions: 'Keine Abonnements.',
  returnToSite: 'Zurück zur Website',
  canceledNotice: 'Ihr Abonnement wurde gekündigt.',
  subscriptionMissing: 'Dieses Abonnement wurde nicht gefunden.',
  portalMissing: 'Diesen Portal-Link gibt es nicht.',
  statuses: { active: 'aktiv', canceled: 'gekündigt', paid: 'bezahlt', unpaid: 'unbezahlt', month: 'Monat' },
}

const es: PageTexts = {
  lang: 'es',
  banner: 'Demo: no se mueve dinero.',
  bannerCheckout: 'Esta página sustituye a Stripe Checkout.',
  bannerPortal: 'Esta página sustituye al portal de clientes de Stripe.',
  checkoutTitle: (name) => `Pago de demostración: ${name}`,
  donation: 'Donación',
  perMonth: 'al mes',
  perInterval: (count, interval) => (count === 1 ? `por ${interval}` : `cada ${count} ${interval}`),
  email: 'Correo electrónico',
  name: 'Nombre',
  payCard: 'Pagar con tarjeta',
  cardDeclined: 'Tarjeta rechazada',
  paySepa: 'Pagar con adeudo directo SEPA (se confirma en unos segundos)',
  sepaFails: 'Adeudo directo SEPA que falla',
  cancel: 'Cancelar',
  noCardNote: 'No se piden datos de tarjeta y no se cobra nada: cada botón reproduce lo que haría Stripe.',
  chooseButton: 'Elige uno de los botones de abajo.',
  declined: 'Tu tarjeta fue rechazada. No se ha cobrado nada; prueba otro botón.',
  notFound: 'No encontrada',
  checkoutMissing: 'Esta página de pago no existe.',
  checkoutComplete: 'Este pago está completado.',
  checkoutCompleteTitle: 'Pago completado',
  paymentStatus: (status) => `Estado del pago: ${status}.`,
  continue: 'Continuar',
  paidTitle: 'Pago recibido',
  thankYou: 'Gracias.',
  paid: 'El pago de demostración se ha completado.',
  portalTitle: 'Portal de clientes de demostración',
  portalHeading: 'Tus donaciones periódicas',
  cancelSubscription: 'Cancelar la suscripción',
  canceledOn: (date) => `Cancelada el ${date}.`,
  perPeriod: (amount, interval, status) => `${amount} por ${interval} · ${status}`,
  noSubscriptions: 'No hay suscripciones.',
  returnToSite: 'Volver al sitio',
  canceledNotice: 'Tu suscripción se ha cancelado.',
  subscriptionMissing: 'No se encontró esa suscripción.',
  portalMissing: 'Este enlace al portal no existe.',
  statuses: { active: 'activa', canceled: 'cancelada', paid: 'pagado', unpaid: 'sin pagar', month: 'mes' },
}

const TEXTS: Record<string, PageTexts> = { en, de, es }

/** The texts for a Stripe locale ("de", "es-419", "auto", null). */
export function pageTexts(locale: string | null | undefined): PageTexts {
  const base = (locale ?? '').toLowerCase().split('-')[0] ?? ''
  return TEXTS[base] ?? en
}
