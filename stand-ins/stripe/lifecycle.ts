/**
 * What paying, settling, renewing, refunding, disputing and cancelling do to the objects, and the
 * events each sends. The hosted pages and the test API (server.ts) share this code.
 *
 * What completing a session creates:
 *
 * - payment mode, card: payment_intent (succeeded, metadata = payment_intent_data.metadata, latest_charge)
 *   and charge (paid, captured, same metadata, billing_details.email). A Customer only with
 *   customer_creation=always, as Stripe does (default `if_required` leaves session.customer null; the email
 *   is then in customer_details). Events: checkout.session.completed, payment_intent.succeeded, charge.succeeded.
 * - payment mode, SEPA Direct Debit: checkout.session.completed with payment_status `unpaid` (intent
 *   `processing`, charge `pending`), payment_intent.processing, charge.pending; after `settle()` (the page
 *   settles by itself after `asyncDelayMs`): checkout.session.async_payment_succeeded (payment_status
 *   `paid`) + payment_intent.succeeded + charge.succeeded, or checkout.session.async_payment_failed +
 *   payment_intent.payment_failed + charge.failed. Not modelled for subscription mode.
 * - subscription mode: customer, subscription (active, metadata = subscription_data.metadata, the period on
 *   its item as in current API versions), first invoice (billing_reason subscription_create, paid,
 *   `parent.subscription_details` {subscription, metadata}), its invoice_payment → payment_intent →
 *   charge (metadata {} and description "Subscription creation", as Stripe's invoice payments have).
 *   Events: checkout.session.completed and invoice.paid (order set by `subscriptionEventOrder`), then
 *   customer.subscription.created. `renew()` adds a subscription_cycle invoice the same way + invoice.paid.
 *   Invoices keep the fixture's `subscription` key but set it to null: current API versions removed it
 *   (read `parent.subscription_details.subscription`); invoices and charges carry no payment_intent either.
 */
import {
  type ChargeRecord,
  type CustomerRecord,
  type DisputeRecord,
  type IntentRecord,
  type InvoicePaymentRecord,
  type InvoiceRecord,
  type JsonObject,
  type Metadata,
  type Person,
  type RefundRecord,
  type RequestRef,
  type SessionRecord,
  type SubscriptionRecord,
  addInterval,
  type createRenderers,
  newId,
  nowSeconds,
  token,
} from './objects.ts'
import type { Store } from './state.ts'
import type { createWebhooks } from './webhooks.ts'

export type PaymentMethodKind = 'card' | 'sepa'
export type SubscriptionEventOrder = 'session-first' | 'invoice-first' | 'random'

export type CompleteOptions = {
  method?: PaymentMethodKind
  /** card: 'succeeded' (default) or 'failed' (declined: nothing changes, no event). sepa: 'pending'
   * (default; call `settle()`), or 'succeeded'/'failed' to settle by itself after `asyncDelayMs`. */
  outcome?: 'succeeded' | 'failed' | 'pending'
  /** Ignored when the session was created with customer_email (Checkout shows it read-only). */
  email?: string
  name?: string
  /** Subscription mode: which of checkout.session.completed and invoice.paid is built first. */
  order?: SubscriptionEventOrder
}

export type CompleteResult = { declined: boolean; session: JsonObject }

export function createLifecycle(
  store: Store,
  { renderSession, renderIntent, renderCharge, renderSubscription, renderInvoice, renderRefund, renderDispute, priceOf }: ReturnType<typeof createRenderers>,
  { emit, settleIdle }: ReturnType<typeof createWebhooks>,
  saveState: () => void,
) {
  const { sessions, customers, intents, charges, subscriptions, invoices, invoicePayments, refunds, disputes, settlementTimers } = store
  const { log, asyncDelayMs, defaultOrder } = store.config

  function requireSession(id: string): SessionRecord {
    const session = sessions.get(id)
    if (!session) throw new Error(`stripe stand-in: no Checkout Session ${id}`)
    return session
  }

  function createCustomer(person: Person, currency: string, locale: string | null): CustomerRecord {
    const customer: CustomerRecord = {
      id: newId('cus', 14),
      created: nowSeconds(),
      email: person.email,
      name: person.name,
      currency,
      locale,
      invoicePrefix: token(8).toUpperCase(),
      nextInvoiceSequence: 1,
      defaultPaymentMethod: null,
    }
    customers.set(customer.id, customer)
    return customer
  }

  function createPayment(input: {
    amount: number
    currency: string
    customer: string | null
    metadata: Metadata
    description: string | null
    method: PaymentMethodKind
    settled: boolean
    person: Person
    paymentMethod: string
    group: string
  }): { intent: IntentRecord; charge: ChargeRecord } {
    const created = nowSeconds()
    const intentId = newId('pi')
    const chargeId = newId('ch')
    const intent: IntentRecord = {
      id: intentId,
      created,
      amount: input.amount,
      currency: input.currency,
      customer: input.customer,
      metadata: { ...input.metadata },
      description: input.description,
      method: input.method,
      status: input.settled ? 'succeeded' : 'processing',
      latestCharge: chargeId,
      paymentMethod: input.paymentMethod,
      failure: null,
      clientSecret: `${intentId}_secret_${token(25)}`,
      group: input.group,
    }
    const charge: ChargeRecord = {
      id: chargeId,
      created,
      amount: input.amount,
      currency: input.currency,
      customer: input.customer,
      // A charge carries the metadata of its payment intent.
      metadata: { ...input.metadata },
      description: input.description,
      paymentIntent: intentId,
      paymentMethod: input.paymentMethod,
      method: input.method,
      status: input.settled ? 'succeeded' : 'pending',
      amountRefunded: 0,
      refunds: [],
      disputed: false,
      person: input.person,
      failure: null,
      balanceTransaction: newId('txn'),
      group: input.group,
    }
    intents.set(intent.id, intent)
    charges.set(charge.id, charge)
    return { intent, charge }
  }

  /** An invoice for a subscription period, paid by card: invoice, invoice_payment, payment_intent, charge. */
  function createPaidInvoice(
    subscription: SubscriptionRecord,
    billingReason: InvoiceRecord['billingReason'],
    person: Person,
  ): InvoiceRecord {
    const customer = customers.get(subscription.customer)
    const price = priceOf(subscription.priceId)
    const amount = price.unitAmount * subscription.quantity
    const { intent } = createPayment({
      amount,
      currency: price.currency,
      customer: subscription.customer,
      // Stripe's invoice payments carry no metadata: the donation's metadata is on the invoice's parent.
      metadata: {},
      description: billingReason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
      method: 'card',
      settled: true,
      person,
      paymentMethod: subscription.paymentMethod,
      group: subscription.group,
    })
    const created = nowSeconds()
    const sequence = customer ? customer.nextInvoiceSequence : 1
    if (customer) customer.nextInvoiceSequence += 1
    const invoice: InvoiceRecord = {
      id: newId('in'),
      created,
      number: `${customer?.invoicePrefix ?? 'VIGIL'}-${String(sequence).padStart(4, '0')}`,
      customer: subscription.customer,
      person,
      subscription: subscription.id,
      subscriptionMetadata: { ...subscription.metadata },
      billingReason,
      amount,
      currency: price.currency,
      priceId: price.id,
      quantity: subscription.quantity,
      lineId: newId('il'),
      periodStart: subscription.periodStart,
      periodEnd: subscription.periodEnd,
      paidAt: created,
      paymentIntent: intent.id,
      group: subscription.group,
    }
    invoices.set(invoice.id, invoice)
    const payment: InvoicePaymentRecord = {
      id: newId('inpay'),
      created,
      invoice: invoice.id,
      paymentIntent: intent.id,
      amount,
      currency: price.currency,
      paidAt: created,
    }
    invoicePayments.set(payment.id, payment)
    subscription.latestInvoice = invoice.id
    return invoice
  }

  function complete(sessionId: string, completeOptions: CompleteOptions = {}): CompleteResult {
    const session = requireSession(sessionId)
    if (session.status !== 'open') throw new Error(`stripe stand-in: Checkout Session ${sessionId} is already complete`)
    const method = completeOptions.method ?? 'card'
    const outcome = completeOptions.outcome ?? (method === 'card' ? 'succeeded' : 'pending')
    if (method === 'card' && outcome === 'pending') throw new Error('stripe stand-in: card payments do not stay pending')
    if (method === 'sepa' && session.mode === 'subscription') {
      throw new Error('stripe stand-in: SEPA Direct Debit is modelled for payment mode only')
    }
    if (method === 'card' && outcome === 'failed') {
      // Checkout keeps the session open and sends nothing for a declined card.
      session.declines += 1
      log(`stripe stand-in: card declined on ${session.id}`)
      return { declined: true, session: renderSession(session) }
    }
    const existing = session.customer ? customers.get(session.customer) : undefined
    const person: Person = {
      email: session.customerEmail ?? existing?.email ?? completeOptions.email ?? 'supporter@example.org',
      name: completeOptions.name?.trim() || 'Demo Supporter',
    }
    const needsCustomer = session.mode === 'subscription' || session.customerCreation === 'always'
    const customer = existing
      ? existing
      : needsCustomer
        ? createCustomer(person, session.currency, session.locale)
        : null
    session.customer = customer?.id ?? null
    session.details = person
    session.status = 'complete'
    const paymentMethod = newId('pm')
    if (customer) customer.defaultPaymentMethod = session.mode === 'subscription' ? paymentMethod : null
    const group = session.id

    if (session.mode === 'payment') {
      const settled = method === 'card'
      const { intent, charge } = createPayment({
        amount: session.amount,
        currency: session.currency,
        customer: session.customer,
        metadata: session.intentMetadata,
        description: session.intentDescription,
        method,
        settled,
        person,
        paymentMethod,
        group,
      })
      session.paymentIntent = intent.id
      session.paymentStatus = settled ? 'paid' : 'unpaid'
      emit('checkout.session.completed', renderSession(session), group, null)
      if (settled) {
        emit('payment_intent.succeeded', renderIntent(intent), group, null)
        emit('charge.succeeded', renderCharge(charge), group, null)
      } else {
        emit('payment_intent.processing', renderIntent(intent), group, null)
        emit('charge.pending', renderCharge(charge), group, null)
        if (outcome !== 'pending') scheduleSettlement(session.id, outcome)
      }
      return { declined: false, session: renderSession(session) }
    }

    const created = nowSeconds()
    const price = priceOf(session.priceId)
    const recurring = price.recurring ?? { interval: 'month' as const, intervalCount: 1 }
    const subscription: SubscriptionRecord = {
      id: newId('sub'),
      created,
      customer: customer?.id ?? '',
      priceId: price.id,
      quantity: session.quantity,
      metadata: { ...session.subscriptionMetadata },
      description: session.subscriptionDescription,
      status: 'active',
      periodStart: created,
      periodEnd: addInterval(created, recurring.interval, recurring.intervalCount),
      latestInvoice: null,
      itemId: newId('si', 14),
      paymentMethod,
      canceledAt: null,
      cancellation: { comment: null, feedback: null, reason: null },
      group,
    }
    subscriptions.set(subscription.id, subscription)
    const invoice = createPaidInvoice(subscription, 'subscription_create', person)
    session.subscription = subscription.id
    session.invoice = invoice.id
    session.paymentStatus = 'paid'
    const order = completeOptions.order ?? defaultOrder
    const invoiceFirst = order === 'invoice-first' || (order === 'random' && Math.random() < 0.5)
    const sessionEvent = () => emit('checkout.session.completed', renderSession(session), group, null)
    const invoiceEvent = () => emit('invoice.paid', renderInvoice(invoice), group, null)
    if (invoiceFirst) {
      invoiceEvent()
      sessionEvent()
    } else {
      sessionEvent()
      invoiceEvent()
    }
    emit('customer.subscription.created', renderSubscription(subscription), group, null)
    return { declined: false, session: renderSession(session) }
  }


  function scheduleSettlement(sessionId: string, result: 'succeeded' | 'failed', dueAt = Date.now() + asyncDelayMs) {
    store.pending += 1
    const timer = setTimeout(() => {
      settlementTimers.delete(timer)
      try {
        if (!store.closed) {
          settle(sessionId, result)
          saveState()
        }
      } catch (error) {
        log(`stripe stand-in: settling ${sessionId} failed: ${String(error)}`)
      } finally {
        store.pending = Math.max(0, store.pending - 1)
        settleIdle()
      }
    }, Math.max(0, dueAt - Date.now()))
    settlementTimers.set(timer, { sessionId, result, dueAt })
  }

  function settle(sessionId: string, result: 'succeeded' | 'failed'): JsonObject {
    const session = requireSession(sessionId)
    const intent = session.paymentIntent ? intents.get(session.paymentIntent) : undefined
    if (!intent || intent.status !== 'processing') {
      throw new Error(`stripe stand-in: Checkout Session ${sessionId} has no payment waiting to settle`)
    }
    const charge = charges.get(intent.latestCharge)
    if (!charge) throw new Error(`stripe stand-in: payment intent ${intent.id} has no charge`)
    const group = session.id
    if (result === 'succeeded') {
      intent.status = 'succeeded'
      charge.status = 'succeeded'
      session.paymentStatus = 'paid'
      emit('checkout.session.async_payment_succeeded', renderSession(session), group, null)
      emit('payment_intent.succeeded', renderIntent(intent), group, null)
      emit('charge.succeeded', renderCharge(charge), group, null)
    } else {
      const failure = { code: 'insufficient_funds', message: 'The account has insufficient funds to cover this payment.' }
      intent.status = 'requires_payment_method'
      intent.failure = failure
      charge.status = 'failed'
      charge.failure = failure
      emit('checkout.session.async_payment_failed', renderSession(session), group, null)
      emit('payment_intent.payment_failed', renderIntent(intent), group, null)
      emit('charge.failed', renderCharge(charge), group, null)
    }
    return renderSession(session)
  }

  function requireSubscription(id: string): SubscriptionRecord {
    const subscription = subscriptions.get(id)
    if (!subscription) throw new Error(`stripe stand-in: no subscription ${id}`)
    return subscription
  }

  function renew(subscriptionId: string): JsonObject {
    const subscription = requireSubscription(subscriptionId)
    if (subscription.status !== 'active') throw new Error(`stripe stand-in: subscription ${subscriptionId} is canceled`)
    const price = priceOf(subscription.priceId)
    const recurring = price.recurring ?? { interval: 'month' as const, intervalCount: 1 }
    subscription.periodStart = subscription.periodEnd
    subscription.periodEnd = addInterval(subscription.periodStart, recurring.interval, recurring.intervalCount)
    const customer = customers.get(subscription.customer)
    const person = { email: customer?.email ?? 'supporter@example.org', name: customer?.name ?? 'Demo Supporter' }
    const invoice = createPaidInvoice(subscription, 'subscription_cycle', person)
    const rendered = renderInvoice(invoice)
    emit('invoice.paid', rendered, subscription.group, null)
    return rendered
  }

  function requireCharge(id: string): ChargeRecord {
    const charge = charges.get(id)
    if (!charge) throw new Error(`stripe stand-in: no charge ${id}`)
    return charge
  }

  function refund(chargeId: string, amount?: number): JsonObject {
    const charge = requireCharge(chargeId)
    if (charge.status !== 'succeeded') throw new Error(`stripe stand-in: charge ${chargeId} is ${charge.status}`)
    const remaining = charge.amount - charge.amountRefunded
    const value = amount ?? remaining
    if (!Number.isInteger(value) || value <= 0 || value > remaining) {
      throw new Error(
        `stripe stand-in: refund of ${value} is not between 1 and the unrefunded ${remaining} on ${chargeId}`,
      )
    }
    const previous: JsonObject = { amount_refunded: charge.amountRefunded, refunded: charge.amountRefunded === charge.amount }
    const record: RefundRecord = {
      id: newId('re'),
      created: nowSeconds(),
      amount: value,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: charge.paymentIntent,
      method: charge.method,
      balanceTransaction: newId('txn'),
    }
    refunds.set(record.id, record)
    charge.refunds.push(record.id)
    charge.amountRefunded += value
    emit('charge.refunded', renderCharge(charge), charge.group, null, previous)
    return renderRefund(record)
  }

  function dispute(chargeId: string): JsonObject {
    const charge = requireCharge(chargeId)
    if (charge.status !== 'succeeded') throw new Error(`stripe stand-in: charge ${chargeId} is ${charge.status}`)
    const created = nowSeconds()
    const record: DisputeRecord = {
      id: newId('dp'),
      created,
      amount: charge.amount - charge.amountRefunded,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: charge.paymentIntent,
      method: charge.method,
      status: 'needs_response',
      dueBy: created + 7 * 24 * 60 * 60,
    }
    disputes.set(record.id, record)
    charge.disputed = true
    const rendered = renderDispute(record)
    emit('charge.dispute.created', rendered, charge.group, null)
    return rendered
  }

  function closeDispute(disputeId: string, result: 'won' | 'lost'): JsonObject {
    const record = disputes.get(disputeId)
    if (!record) throw new Error(`stripe stand-in: no dispute ${disputeId}`)
    if (record.status !== 'needs_response') throw new Error(`stripe stand-in: dispute ${disputeId} is already ${record.status}`)
    record.status = result
    const rendered = renderDispute(record)
    emit('charge.dispute.closed', rendered, charges.get(record.charge)?.group ?? record.charge, null)
    return rendered
  }

  function cancelSubscription(
    subscriptionId: string,
    ref: RequestRef | null,
    details: { comment: string | null; feedback: string | null } = { comment: null, feedback: null },
  ): JsonObject {
    const subscription = requireSubscription(subscriptionId)
    if (subscription.status === 'canceled') throw new Error(`stripe stand-in: subscription ${subscriptionId} is already canceled`)
    subscription.status = 'canceled'
    subscription.canceledAt = nowSeconds()
    subscription.cancellation = { ...details, reason: 'cancellation_requested' }
    const rendered = renderSubscription(subscription)
    emit('customer.subscription.deleted', rendered, subscription.group, ref)
    return rendered
  }

  return { complete, settle, renew, refund, dispute, closeDispute, cancelSubscription, scheduleSettlement }
}
