import type BetterSqlite3 from 'better-sqlite3'
import {
  emailHash,
  emailHashes,
  nameWordHashes,
  openDonation,
  openEmail,
  openReply,
  openResubmitted,
  openSignature,
  openSupporter,
  openSuppression,
  sealSignature,
  sealSupporter,
} from '../../app/models/personal-data.server.ts'
import type { Sql } from './sql.ts'

/**
 * Reading what a server sealed (ADR 017): the test process holds the servers' data key
 * (tests/helpers/data-key.ts), so a test finds a supporter by the keyed hash of their address
 * and opens names, messages and emails as the app does. Plain SQL only finds what is plain.
 */
export { emailHash, emailHashes }

/** `s.email_hash in (…)` for an address, with its parameters: a supporter by address, under any loaded key. */
export function byAddress(address: string, column = 's.email_hash') {
  const hashes = emailHashes(address)
  return { where: `${column} in (${hashes.map(() => '?').join(', ')})`, params: hashes }
}

export type OpenedSignature = { first_name: string | null; last_name: string | null; postal_code: string | null; message: string | null }

/** A signature row with its envelope opened into the columns it replaced (all null once anonymised). */
export function openedSignature<T extends { sealed: string | null }>(row: T): Omit<T, 'sealed'> & OpenedSignature {
  const { sealed, ...rest } = row
  const data = openSignature(sealed)
  return { ...rest, first_name: data?.firstName ?? null, last_name: data?.lastName ?? null, postal_code: data?.postalCode ?? null, message: data?.message ?? null }
}

/** A supporter's opened envelope. */
export function openedSupporter(sealed: string) {
  return openSupporter(sealed)
}

export type OutboxRow = { id: number; template: string; locale: string; idempotency_key: string; status: string; to: string; props: Record<string, unknown> }

/**
 * Outbox rows with their recipient and props, whether sealed ({to, props}) or written plain by
 * code that does not seal yet; an update's message (no envelope) has its supporter's address.
 */
export async function outboxRows(db: Sql, where = '1 = 1', ...params: unknown[]): Promise<OutboxRow[]> {
  const rows = await db.all<{ id: number; template: string; locale: string; idempotency_key: string; status: string; to_email: string | null; sealed: string | null; props: string; supporter_sealed: string | null }>(
    `SELECT m.id, m.template, m.locale, m.idempotency_key, m.status, m.to_email, m.sealed, m.props, s.sealed AS supporter_sealed
     FROM email_messages m LEFT JOIN supporters s ON s.id = m.supporter_id WHERE ${where} ORDER BY m.id`,
    ...params,
  )
  return rows.map(({ to_email, sealed, props, supporter_sealed, ...rest }) => {
    const plainProps = (typeof props === 'string' ? JSON.parse(props) : props) as Record<string, unknown>
    if (sealed !== null) {
      const opened = openEmail(sealed)
      return { ...rest, to: opened.to, props: { ...plainProps, ...opened.props } }
    }
    return { ...rest, to: to_email ?? (supporter_sealed ? openSupporter(supporter_sealed).email : ''), props: plainProps }
  })
}

/** The outbox rows sent to this address exactly as typed (trimmed). */
export async function emailsTo(db: Sql, address: string) {
  return (await outboxRows(db)).filter((row) => row.to === address)
}

const OPENERS: Record<string, (sealed: string) => unknown> = {
  supporters: openSupporter,
  signatures: openSignature,
  replies: openReply,
  donations: openDonation,
  email_messages: openEmail,
  suppressed_addresses: openSuppression,
}

/**
 * A row of `table` with its envelopes opened: sealing draws a random nonce, so two databases
 * holding the same data differ only there; compare what the envelopes hold.
 */
export function withEnvelopesOpened(table: string, row: Record<string, unknown>) {
  const open = OPENERS[table]
  if (!open) return row
  const result: Record<string, unknown> = { ...row }
  if (typeof row.sealed === 'string') result.sealed = open(row.sealed)
  if (table === 'signatures' && typeof row.resubmitted_sealed === 'string') result.resubmitted_sealed = openResubmitted(row.resubmitted_sealed)
  return result
}

/**
 * A confirmed signer who asked for the campaign's news, written into a server's SQLite file as the
 * app writes one (ADR 017): supporter and signature sealed, the address's hashes, the name words.
 * The test process must hold the server's key (VIGIL_DATA_KEY = TEST_DATA_KEY). Returns the supporter's id.
 */
export function insertUpdateReader(
  db: BetterSqlite3.Database,
  { campaignId, email, firstName, lastName, country = 'DE', locale = 'en' }: { campaignId: number; email: string; firstName: string; lastName: string; country?: string; locale?: string },
) {
  const supporter = sealSupporter({ email, firstName, lastName })
  const id = Number(
    db
      .prepare(`insert into supporters (email_hash, email_domain_hash, sealed, data_key_id, country, locale) values (?, ?, ?, ?, ?, ?)`)
      .run(supporter.emailHash, supporter.emailDomainHash, supporter.sealed, supporter.dataKeyId, country, locale).lastInsertRowid,
  )
  const signature = sealSignature({ firstName, lastName, postalCode: null, message: null })
  const signatureId = Number(
    db
      .prepare(`insert into signatures (campaign_id, supporter_id, status, sealed, data_key_id, country, locale, confirmed_at) values (?, ?, 'confirmed', ?, ?, ?, ?, ?)`)
      .run(campaignId, id, signature.sealed, signature.dataKeyId, country, locale, Date.now()).lastInsertRowid,
  )
  const word = db.prepare(`insert into signature_name_words (campaign_id, word_hash, signature_id) values (?, ?, ?)`)
  for (const hash of nameWordHashes(firstName, lastName)) word.run(campaignId, hash, signatureId)
  db.prepare(`insert into consents (supporter_id, purpose, campaign_id, granted, source) values (?, 'campaign_updates', ?, 1, 'petition_form')`).run(id, campaignId)
  return id
}
