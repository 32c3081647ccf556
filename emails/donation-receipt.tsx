import { Button } from '@react-email/button'
import { Link } from '@react-email/link'
import { Section } from '@react-email/section'
import { Text } from '@react-email/text'
import { Fragment } from 'react'
import { formatDate, formatMoney } from '~/utils/i18n.ts'
import { receiptNumber } from '~/utils/receipt-number.ts'
import { EmailLayout, SignOff, colors, styles, subjectLine, translate, type EmailLanguage, type EmailT } from './layout.tsx'

export type DonationReceiptProps = {
  t: EmailT
  lang: EmailLanguage
  /** Empty when the donor gave none: the greeting is then a neutral one. */
  firstName: string
  donationId: number
  /** Gapless, given when the money was received (see donations.server.ts). */
  receiptNumber: number
  /** Where the payment details went: a card, a bank debit, or unknown (said neutrally). */
  paidBy: 'card' | 'debit' | null
  /** What was charged: the gift plus any fee cover. Minor units, like everything below. */
  amountMinor: number
  giftMinor: number
  currency: string
  interval: 'one_time' | 'monthly'
  /** Epoch milliseconds. */
  paidAt: number
  fundTitle: string
  campaignTitle: string
  campaignUrl: string
  organizationName: string
  /** As typed in the settings, one line per line of the address. */
  organizationAddress: string
  /** Only for monthly gifts: where the donor changes or cancels it. */
  manageUrl: string | null
}

export { receiptNumber }

export function subject({
  t,
  lang,
  receiptNumber: n,
  amountMinor,
  currency,
  interval,
}: Pick<DonationReceiptProps, 't' | 'lang' | 'receiptNumber' | 'amountMinor' | 'currency' | 'interval'>): string {
  const key = interval === 'monthly' ? 'donationReceipt.subjectMonthly' : 'donationReceipt.subjectOneTime'
  return subjectLine(translate(t, key, { amount: formatMoney(amountMinor, currency, lang), receiptNumber: receiptNumber(n) }))
}

function lines(text: string) {
  return text
    .split(/\r\n?|\n/)
    .map((line) => line.trim())
    .filter(Boolean)
}

function WithBreaks({ items }: { items: string[] }) {
  return (
    <>
      {items.map((item, i) => (
        <Fragment key={i}>
          {i > 0 ? <br /> : null}
          {item}
        </Fragment>
      ))}
    </>
  )
}

export default function DonationReceiptEmail({
  t,
  lang,
  firstName,
  receiptNumber: number,
  paidBy,
  amountMinor,
  giftMinor,
  currency,
  interval,
  paidAt,
  fundTitle,
  campaignTitle,
  campaignUrl,
  organizationName,
  organizationAddress,
  manageUrl,
}: DonationReceiptProps) {
  const money = (minor: number) => formatMoney(minor, currency, lang)
  const monthly = interval === 'monthly'
  const feeMinor = amountMinor - giftMinor
  const values = { amount: money(amountMinor), fund: fundTitle, campaign: campaignTitle }
  const name = firstName.trim()
  // Only the date: the time of day would need a time zone we do not know, and UTC keeps it the same everywhere.
  const paidOn = formatDate(new Date(paidAt).toISOString().slice(0, 10), lang)
  const details: [string, string][] = [
    [translate(t, 'donationReceipt.receiptNumber'), receiptNumber(number)],
    ...(name ? ([[translate(t, 'donationReceipt.receivedFrom'), name]] satisfies [string, string][]) : []),
    [translate(t, 'donationReceipt.paidOn'), paidOn],
    [translate(t, 'donationReceipt.type'), translate(t, monthly ? 'donationReceipt.typeMonthly' : 'donationReceipt.typeOneTime')],
    [translate(t, 'donationReceipt.fund'), fundTitle],
    [translate(t, 'donationReceipt.campaign'), campaignTitle],
    ...(feeMinor > 0
      ? ([
          [translate(t, 'donationReceipt.gift'), money(giftMinor)],
          [translate(t, 'donationReceipt.feeCover'), money(feeMinor)],
        ] satisfies [string, string][])
      : []),
    [translate(t, 'donationReceipt.total'), money(amountMinor)],
  ]
  const issuer = [organizationName, ...lines(organizationAddress)]

  return (
    <EmailLayout
      lang={lang}
      preview={translate(t, monthly ? 'donationReceipt.previewMonthly' : 'donationReceipt.previewOneTime', values)}
      organizationName={organizationName}
      footer={
        <>
          {translate(t, 'donationReceipt.issuedBy')}
          <br />
          <WithBreaks items={issuer} />
          <br />
          <br />
          {translate(t, 'donationReceipt.footer')}
        </>
      }
    >
      <Text style={styles.text}>
        {name ? translate(t, 'donationReceipt.greeting', { firstName: name }) : translate(t, 'donationReceipt.greetingNoName')}
      </Text>
      <Text style={styles.text}>{translate(t, monthly ? 'donationReceipt.introMonthly' : 'donationReceipt.introOneTime', values)}</Text>
      {feeMinor > 0 ? (
        <Text style={styles.text}>{translate(t, 'donationReceipt.feeCoverThanks', { gift: money(giftMinor), fee: money(feeMinor) })}</Text>
      ) : null}

      <Text style={styles.heading}>{translate(t, 'donationReceipt.detailsHeading')}</Text>
      <Section style={{ margin: '0 0 16px', padding: '12px 16px', backgroundColor: colors.quote, borderLeft: `4px solid ${colors.line}` }}>
        <Text style={{ ...styles.text, margin: 0, backgroundColor: colors.quote }}>
          {details.map(([label, value], i) => (
            <Fragment key={label}>
              {i > 0 ? <br /> : null}
              {label}: <strong>{value}</strong>
            </Fragment>
          ))}
        </Text>
      </Section>

      {monthly ? <Text style={styles.text}>{translate(t, 'donationReceipt.monthlyCharge', values)}</Text> : null}
      {monthly && manageUrl ? (
        <>
          <Section style={{ margin: '8px 0 16px', textAlign: 'center' }}>
            <Button href={manageUrl} style={styles.button}>
              {translate(t, 'donationReceipt.manageButton')}
            </Button>
          </Section>
          {/* The plain-text version already prints the address next to the button label. */}
          <Text style={styles.small} data-skip-in-text="true">
            {translate(t, 'donationReceipt.manageFallback')}
            <br />
            <span style={styles.url}>{manageUrl}</span>
          </Text>
          <Text style={styles.small}>{translate(t, 'donationReceipt.manageKeepPrivate')}</Text>
        </>
      ) : null}

      <Text style={styles.text}>
        {translate(t, 'donationReceipt.campaignLink', values)}
        <br />
        {/* The address itself is the link text, so it can be copied and passed on as it is. */}
        <Link href={campaignUrl} style={{ ...styles.link, ...styles.url, color: styles.link.color }}>
          {campaignUrl}
        </Link>
      </Text>

      <Text style={styles.small}>{translate(t, paidBy === 'card' ? 'donationReceipt.stripe' : paidBy === 'debit' ? 'donationReceipt.stripeDebit' : 'donationReceipt.stripeAny')}</Text>

      <SignOff t={t} organizationName={organizationName} />
    </EmailLayout>
  )
}
