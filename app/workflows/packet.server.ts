import type { Handle } from '#db/client.server.ts'
import type { Localized } from '~/models/campaigns.server.ts'
import { PUBLIC_STATUSES } from '~/models/campaigns.server.ts'
import { getCountLogHead } from '~/models/count-log.server.ts'
import { getSignatureCounters, listCountryCounters } from '~/models/counters.server.ts'
import { confirmedDateRange, getPacketCampaign, listPacketMessages, listPacketSigners } from '~/models/packet.server.ts'
import { listPublicTargets, type PublicTarget } from '~/models/targets.server.ts'
import type { CountLogEntry } from '~/utils/count-log-chain.server.ts'
import { COUNT_LOG_FORMAT } from '~/utils/count-log-chain.server.ts'
import { renderCountryMap } from '~/utils/country-map.server.ts'
import { getEnv } from '~/utils/config.server.ts'
import { countryName } from '~/utils/countries.ts'
import { csvRow } from '~/utils/csv.ts'
import { escapeHtml } from '~/utils/html.ts'
import { getT } from '~/utils/i18n.server.ts'
import { formatDate, formatNumber, type Language } from '~/utils/i18n.ts'
import { campaignFromPacketToken } from '~/utils/tokens.server.ts'
import { pickTranslation } from '~/utils/translations.ts'
import { shortCode } from '~/utils/count-log-chain.server.ts'

/**
 * The delivery packet (issue 17, ADR 018): what a team hands to the petition's targets, per
 * language, made on demand and never stored. One self-contained HTML document (its styles
 * inside, the map inline, no scripts, no requests) that prints to PDF from any Chromium, and
 * CSV files of the same for the target's staff. It carries the names only of signers who asked
 * to be shown, never on a campaign whose supporters may be at risk, and never an email address
 * or a postal code (none is read).
 */

export const PACKET_CSV_PARTS = ['countries', 'signers', 'messages'] as const
export type PacketCsvPart = (typeof PACKET_CSV_PARTS)[number]

export type PacketData = {
  lang: Language
  slug: string
  organizationName: string
  title: Localized
  petitionText: Localized
  targets: PublicTarget[]
  /** The campaign's one-line "To: …", shown when it has no targets. */
  legacyTarget: string
  atRisk: boolean
  confirmed: number
  range: { first: number | null; until: number }
  generatedAt: number
  head: CountLogEntry | null
  campaignUrl: string
  countLogUrl: string
  countries: { code: string; name: string; confirmed: number; share: number }[]
  mapSvg: string
  messages: { name: string | null; country: string; message: string }[]
  /** Null on an at-risk campaign: the section says the names are withheld. */
  signers: { name: string; country: string }[] | null
}

function localizedField(rows: { locale: Language; title: string; petitionText: string }[], field: 'title' | 'petitionText', lang: Language, defaultLocale: Language): Localized {
  const row = pickTranslation(rows, lang, defaultLocale, (r) => r[field] !== '')
  return { value: row?.[field] ?? '', lang: row?.locale ?? defaultLocale }
}

/** Everything the packet shows, in `lang` (campaign texts fall back field by field); null for no such campaign. */
export async function loadPacket(db: Handle, { campaignId, lang, now = Date.now() }: { campaignId: number; lang: Language; now?: number }): Promise<PacketData | null> {
  const campaign = await getPacketCampaign(db, { campaignId })
  if (!campaign) return null
  const t = getT(lang)
  const [counters, range, head, countryRows, targets, messages] = await Promise.all([
    getSignatureCounters(db, campaignId),
    confirmedDateRange(db, { campaignId }),
    getCountLogHead(db, { campaignId }),
    listCountryCounters(db, campaignId),
    listPublicTargets(db, { campaignId, lang, defaultLocale: campaign.defaultLocale }),
    listPacketMessages(db, { campaignId }),
  ])
  const signers = campaign.atRisk ? null : await allSigners(db, campaignId, lang)
  const total = countryRows.reduce((sum, c) => sum + Number(c.confirmed), 0)
  const base = `${getEnv().publicUrl}/c/${campaign.slug}`
  return {
    lang,
    slug: campaign.slug,
    organizationName: campaign.organizationName,
    title: localizedField(campaign.texts, 'title', lang, campaign.defaultLocale),
    petitionText: localizedField(campaign.texts, 'petitionText', lang, campaign.defaultLocale),
    targets,
    legacyTarget: campaign.target,
    atRisk: campaign.atRisk,
    confirmed: counters.confirmed,
    // Collected until the campaign closed, or until today while it still collects.
    range: { first: range.first, until: campaign.status !== 'live' && campaign.closedAt ? campaign.closedAt : now },
    generatedAt: now,
    head,
    campaignUrl: base,
    countLogUrl: `${base}/count-log.json`,
    countries: countryRows.map((c) => ({ code: c.country, name: countryName(c.country, lang), confirmed: Number(c.confirmed), share: total > 0 ? Number(c.confirmed) / total : 0 })),
    mapSvg: renderCountryMap({ counts: countryRows.map((c) => ({ country: c.country, confirmed: Number(c.confirmed) })), lang, title: t('packet.mapTitle'), idPrefix: 'packet-map' }),
    // At risk: a message and its country, never who wrote it.
    messages: messages.map((m) => ({ name: campaign.atRisk ? null : m.name, country: countryName(m.country, lang), message: m.message })),
    signers,
  }
}

async function allSigners(db: Handle, campaignId: number, lang: Language) {
  const all: { name: string; country: string }[] = []
  for (let after: number | null = 0; after !== null; ) {
    const batch: Awaited<ReturnType<typeof listPacketSigners>> = await listPacketSigners(db, { campaignId, after })
    for (const s of batch.signers) all.push({ name: s.name, country: countryName(s.country, lang) })
    after = batch.next
  }
  return all
}

/** "3f9a 12bc 55de 0a71": the count log's verification code for a head hash (one definition, the chain's). */
export const verificationCode = shortCode

const STYLE = `
@page { size: A4; margin: 16mm 14mm 18mm; @bottom-center { content: counter(page) " / " counter(pages); font: 9pt system-ui, sans-serif; color: #555; } }
* { box-sizing: border-box; }
html { color: #16181d; background: #fff; }
body { font: 11pt/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; margin: 0 auto; max-width: 190mm; padding: 1rem; }
h1 { font-size: 24pt; line-height: 1.15; margin: .2em 0 .5em; }
h2 { font-size: 15pt; margin: 0 0 .6em; border-bottom: 1.5pt solid #16181d; padding-bottom: .2em; }
h3 { font-size: 11pt; margin: 1em 0 .3em; text-transform: uppercase; letter-spacing: .04em; color: #444; }
.org { font-size: 11pt; color: #444; margin: 0; }
.targets { list-style: none; padding: 0; margin: 0; }
.targets li { margin: 0 0 .4em; }
.targets .note { color: #444; font-size: 10pt; }
.petition { font-size: 12.5pt; border-left: 3pt solid #1e3a8a; margin: 1em 0; padding: .2em 0 .2em 1em; white-space: pre-line; }
.count { margin: 1.2em 0 .2em; }
.count strong { display: block; font-size: 40pt; line-height: 1; font-variant-numeric: tabular-nums; }
.range, .generated { color: #444; margin: .2em 0; }
.verify { border: 1.5pt solid #16181d; border-radius: 4pt; padding: .6em .9em; margin: 1.2em 0 .6em; break-inside: avoid; }
.verify h3 { margin-top: 0; }
.verify .code { font: 600 18pt/1.2 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; letter-spacing: .05em; margin: .1em 0 .3em; }
.verify p { margin: .3em 0; font-size: 9.5pt; }
code, pre { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 8.5pt; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; background: #f3f4f6; padding: .4em .6em; margin: .3em 0; }
section { break-before: page; margin-top: 2rem; }
.map svg { display: block; width: 100%; height: auto; margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; }
caption { text-align: left; font-weight: 600; margin-bottom: .3em; }
th, td { text-align: left; padding: .2em .4em; border-bottom: .5pt solid #ccc; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr, .message { break-inside: avoid; }
.message { margin: 0 0 .9em; }
.message blockquote { margin: 0; font-size: 11pt; white-space: pre-line; }
.message p { margin: .2em 0 0; color: #444; font-size: 9.5pt; }
.names { columns: 3; column-gap: 1.5em; list-style: none; padding: 0; margin: 0; font-size: 9.5pt; }
.names li { break-inside: avoid; }
.muted { color: #444; }
@media screen { body { padding: 2rem 1rem; } section { border-top: 1px dashed #bbb; padding-top: 2rem; } }
@media print { body { padding: 0; max-width: none; } section { margin-top: 0; } }
`

type T = (key: string, values?: Record<string, unknown>) => string

/** The packet as one HTML document: print-ready (A4), self-contained, no scripts. */
export function renderPacketHtml(data: PacketData): string {
  const i18n = getT(data.lang)
  const t: T = (key, values) => i18n(key, { ...values, interpolation: { escapeValue: false } }) as string
  const e = escapeHtml
  const n = (value: number) => formatNumber(value, data.lang)
  const day = (ms: number) => formatDate(new Date(ms).toISOString().slice(0, 10), data.lang)
  const langAttr = (l: Localized) => (l.lang === data.lang ? '' : ` lang="${l.lang}"`)
  const localized = (l: Localized) => `<span${langAttr(l)}>${e(l.value)}</span>`

  const targets = data.targets.length
    ? `<ul class="targets">${data.targets
        .map(
          (target) =>
            `<li><strong${langAttr(target.name)}>${e(target.name.value)}</strong>${target.role.value ? `, ${localized(target.role)}` : ''}${target.note.value ? `<br><span class="note"${langAttr(target.note)}>${e(target.note.value)}</span>` : ''}</li>`,
        )
        .join('')}</ul>`
    : data.legacyTarget
      ? `<ul class="targets"><li><strong>${e(data.legacyTarget)}</strong></li></ul>`
      : ''
  const range =
    data.range.first === null ? t('packet.collectedNone') : t('packet.collected', { from: day(data.range.first), to: day(Math.max(data.range.first, data.range.until)) })

  // The cover shows the code; how to check it, with the full hash and the entries' format, is the last page.
  const verify = data.head
    ? `<div class="verify"><h3>${e(t('packet.verifyHeading'))}</h3>
<p>${e(t('packet.verifyCode'))}</p><p class="code">${e(verificationCode(data.head.hash))}</p>
<p>${e(t('packet.verifyEntry', { seq: data.head.seq, at: data.head.at, confirmed: n(data.head.confirmed), invalidated: n(data.head.invalidated) }))}</p>
</div>`
    : `<div class="verify"><h3>${e(t('packet.verifyHeading'))}</h3><p>${e(t('packet.verifyPending', { url: data.countLogUrl }))}</p></div>`
  const howToVerify = data.head
    ? `<section class="verify-how"><h2>${e(t('packet.verifyHowHeading'))}</h2>
<p>${e(t('packet.verifyChain'))}</p>
<p>${e(t('packet.verifyFull'))}<br><code>${e(data.head.hash)}</code></p>
<p>${e(t('packet.verifyHow', { url: data.countLogUrl }))}</p>
<pre>npm run verify-count-log -- ${e(data.countLogUrl)} --expect ${e(data.head.hash.slice(0, 16))}</pre>
<p>${e(t('packet.verifyByHand'))}</p>
<pre>${e([COUNT_LOG_FORMAT, '<seq>', '<at>', '<confirmed>', '<invalidated>', '<reason>', '<milestone | ->', '<prev>'].join('\n'))}</pre>
</section>`
    : ''

  const countries = data.countries.length
    ? `<div class="map">${data.mapSvg}</div>
<table><caption>${e(t('packet.countriesCaption', { count: data.countries.length }))}</caption>
<thead><tr><th scope="col">${e(t('packet.country'))}</th><th scope="col" class="n">${e(t('packet.signatures'))}</th><th scope="col" class="n">${e(t('packet.share'))}</th></tr></thead>
<tbody>${data.countries
        .map((c) => `<tr><td>${e(c.name)}</td><td class="n">${e(n(c.confirmed))}</td><td class="n">${e(new Intl.NumberFormat(data.lang, { style: 'percent', maximumFractionDigits: 1 }).format(c.share))}</td></tr>`)
        .join('')}</tbody></table>`
    : `<div class="map">${data.mapSvg}</div><p class="muted">${e(t('packet.countriesNone'))}</p>`

  const messages = data.messages.length
    ? data.messages
        .map((m) => `<div class="message"><blockquote>${e(m.message)}</blockquote><p>${e(m.name ? t('packet.messageBy', { name: m.name, country: m.country }) : m.country)}</p></div>`)
        .join('\n')
    : `<p class="muted">${e(t('packet.messagesNone'))}</p>`

  const signers =
    data.signers === null
      ? `<section class="signers"><h2>${e(t('packet.signersHeading'))}</h2><p>${e(t('packet.namesWithheld'))}</p></section>`
      : `<section class="signers"><h2>${e(t('packet.signersHeading'))}</h2>${
          data.signers.length
            ? `<p class="muted">${e(t('packet.signersIntro', { count: data.signers.length, n: n(data.signers.length), total: n(data.confirmed) }))}</p>
<ol class="names">${data.signers.map((s) => `<li>${e(s.name)} (${e(s.country)})</li>`).join('')}</ol>`
            : `<p class="muted">${e(t('packet.signersNone'))}</p>`
        }</section>`

  return `<!doctype html>
<html lang="${data.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${e(t('packet.documentTitle', { title: data.title.value }))}</title><style>${STYLE}</style></head>
<body>
<header class="cover">
<p class="org">${e(t('packet.from', { organization: data.organizationName }))}</p>
<h1${langAttr(data.title)}>${e(data.title.value)}</h1>
${targets ? `<h3>${e(t('packet.addressedTo'))}</h3>${targets}` : ''}
<h3>${e(t('packet.petition'))}</h3>
<blockquote class="petition"${langAttr(data.petitionText)}>${e(data.petitionText.value)}</blockquote>
<p class="count"><strong>${e(n(data.confirmed))}</strong> ${e(t('packet.confirmed', { count: data.confirmed }))}</p>
<p class="range">${e(range)}</p>
${verify}
<p class="generated">${e(t('packet.generated', { date: day(data.generatedAt), url: data.campaignUrl }))}</p>
</header>
<section class="countries"><h2>${e(t('packet.countriesHeading'))}</h2>
${countries}
</section>
<section class="messages"><h2>${e(t('packet.messagesHeading'))}</h2>
${messages}
</section>
${signers}
${howToVerify}
</body></html>`
}

/** The headers every packet document is served with: its own policy (styles only), never cached, never indexed. */
export function packetHeaders(extra: Record<string, string> = {}) {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'Cache-Control': 'private, no-store',
    'X-Robots-Tag': 'noindex',
    'Referrer-Policy': 'no-referrer',
    ...extra,
  }
}

export function packetFilename(slug: string, lang: Language, ext: string, part?: PacketCsvPart, now = Date.now()) {
  return `${slug}-packet${part ? `-${part}` : ''}-${lang}-${new Date(now).toISOString().slice(0, 10)}.${ext}`
}

/**
 * One part of the packet as CSV (a byte-order mark, then a translated header row; country codes
 * stay ISO). Null for the signers of an at-risk campaign: their names are withheld.
 */
export async function packetCsv(db: Handle, { campaignId, lang, part }: { campaignId: number; lang: Language; part: PacketCsvPart }): Promise<string | null> {
  const campaign = await getPacketCampaign(db, { campaignId })
  if (!campaign) return null
  const t = getT(lang)
  const h = (key: string) => t(`packet.csv.${key}`)
  const lines: string[] = []
  if (part === 'countries') {
    lines.push(csvRow([h('countryCode'), h('country'), h('confirmed')]))
    for (const c of await listCountryCounters(db, campaignId)) lines.push(csvRow([c.country, countryName(c.country, lang), Number(c.confirmed)]))
  } else if (part === 'signers') {
    if (campaign.atRisk) return null
    lines.push(csvRow([h('name'), h('countryCode'), h('country'), h('confirmedOn')]))
    for (let after: number | null = 0; after !== null; ) {
      const batch: Awaited<ReturnType<typeof listPacketSigners>> = await listPacketSigners(db, { campaignId, after })
      for (const s of batch.signers) lines.push(csvRow([s.name, s.country, countryName(s.country, lang), s.confirmedAt ? new Date(s.confirmedAt).toISOString().slice(0, 10) : '']))
      after = batch.next
    }
  } else {
    lines.push(csvRow([h('name'), h('country'), h('message')]))
    for (const m of await listPacketMessages(db, { campaignId })) lines.push(csvRow([campaign.atRisk ? '' : (m.name ?? ''), countryName(m.country, lang), m.message]))
  }
  return `\uFEFF${lines.join('')}`
}

/** The campaign a target's packet link opens: the token's campaign, under its own slug, once public; else null. */
export async function campaignForPacketLink(db: Handle, { slug, token }: { slug: string; token: string }) {
  const campaignId = campaignFromPacketToken(token)
  if (campaignId === null) return null
  const campaign = await getPacketCampaign(db, { campaignId })
  if (!campaign || campaign.slug !== slug || !PUBLIC_STATUSES.includes(campaign.status)) return null
  return campaign.id
}
