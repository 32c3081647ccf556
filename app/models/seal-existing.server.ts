import { and, asc, count, eq, gt, inArray, isNotNull, isNull, ne, or } from 'drizzle-orm'
import type { DB, Tx } from '#db/client.server.ts'
import {
  donations,
  emailMessages,
  instanceSettings,
  organizerTotp,
  replies,
  signatureNameWords,
  signatures,
  suppressedAddresses,
  suppressions,
  supporters,
  type ResubmittedDetails,
} from '#db/schema.ts'
import { constraintViolation } from '#db/errors.server.ts'
import { scrubFreedBytes, updateRowsById, withSealingLock } from '#db/sql/seal-existing.server.ts'
import { allRows, execute, firstRow } from '#db/query.server.ts'
import { transaction } from '#db/transaction.server.ts'
import { dataCrypto } from '~/utils/data-crypto.server.ts'
import {
  currentDataKeyId,
  emailHash,
  nameWordHashes,
  openDonation,
  openEmail,
  openReply,
  openResubmitted,
  openSignature,
  openSupporter,
  openSuppression,
  sealDonation,
  sealEmail,
  sealReply,
  sealResubmitted,
  sealSignature,
  sealSupporter,
  sealSuppression,
} from './personal-data.server.ts'
import { totpPurpose } from './totp.server.ts'

/**
 * Two jobs over every table that holds sealed personal data (ADR 017), both in batches of one
 * transaction each, both resumable because their state is the data itself:
 *
 * - `sealExistingData`, at start-up after the migrations and BEFORE serving (server/index.ts,
 *   scripts/migrate.ts, scripts/worker.ts): an upgrade from before ADR 017 holds plaintext in the
 *   old columns. Each batch takes rows still plain (keyset by id), writes `sealed`, the hashes and
 *   `data_key_id`, and nulls the plain columns in the same UPDATE; the old `suppressions` move to
 *   `suppressed_addresses`. A process killed mid-way redoes at most one batch at its next start.
 *   At the end the freed bytes are scrubbed (SQLite: VACUUM, WAL truncated) and
 *   `instance_settings.plain_data_sealed_at` is set, so later starts cost one read.
 * - `resealUnderNewestKey` (npm run keys:rotate, while Vigil runs): rows whose `data_key_id` is not
 *   the newest key are opened, sealed again and their hashes made again (supporters' address and
 *   domain, suppressions from their sealed address, name words from the names). Each row is
 *   written only if it still holds what was read (compare-and-set on its key id and envelopes), so a
 *   concurrent write (a re-sign, an anonymisation) is never overwritten: it is taken up again.
 */

const BATCH = 500

export type TableProgress = { table: string; rows: number }
export type Log = (line: string) => void

const SEALED_TABLES = ['supporters', 'signatures', 'signature_name_words', 'donations', 'replies', 'email_messages', 'suppressed_addresses', 'suppressions']

// ——— Upgrade: plaintext → sealed ———

/**
 * Seal what an upgraded database still holds in plaintext; nothing to do (one read) once done.
 * Rows are counted per table; `scrubbed` is false when SQLite could not vacuum (another process
 * reading): the marker is then left unset and the next start scrubs again.
 */
export async function sealExistingData(db: DB, { log = () => {}, batchSize = BATCH }: { log?: Log; batchSize?: number } = {}) {
  if (await plainDataSealed(db)) return { alreadyDone: true as const }
  return withSealingLock(db, async () => {
    // Another process may have finished while this one waited for the lock.
    if (await plainDataSealed(db)) return { alreadyDone: true as const }
    const progress: TableProgress[] = []
    const run = async (table: string, batch: (tx: Tx, afterId: number) => Promise<{ lastId: number | null; rows: number }>) => {
      let afterId = 0
      let rows = 0
      for (;;) {
        const done = await transaction(db, (tx) => batch(tx, afterId))
        rows += done.rows
        if (done.lastId === null) break
        afterId = done.lastId
        // A line every 5,000 rows or so: an operator watching a long upgrade sees it move.
        const every = batchSize * 10
        if (Math.floor(rows / every) > Math.floor((rows - done.rows) / every)) log(`sealing ${table}: ${rows.toLocaleString('en')} rows so far`)
      }
      progress.push({ table, rows })
      if (rows > 0) log(`sealed ${rows.toLocaleString('en')} ${table} row(s)`)
    }
    await run('supporters', (tx, afterId) => sealSupporterBatch(tx, afterId, batchSize))
    await run('signatures', (tx, afterId) => sealSignatureBatch(tx, afterId, batchSize))
    await run('donations', (tx, afterId) => sealDonationBatch(tx, afterId, batchSize))
    await run('replies', (tx, afterId) => sealReplyBatch(tx, afterId, batchSize))
    await run('email_messages', (tx, afterId) => sealEmailBatch(tx, afterId, batchSize))
    let moved = 0
    for (;;) {
      const n = await transaction(db, (tx) => moveSuppressionBatch(tx, batchSize))
      if (n === 0) break
      moved += n
    }
    progress.push({ table: 'suppressions', rows: moved })
    if (moved > 0) log(`moved ${moved.toLocaleString('en')} suppression(s) to suppressed_addresses`)

    const sealedAny = progress.some((p) => p.rows > 0)
    // The rewritten rows' old bytes sit in free pages and the WAL (SQLite) or dead tuples (Postgres).
    const scrubbed = sealedAny ? await scrubFreedBytes(db, SEALED_TABLES) : { complete: true }
    if (sealedAny) {
      log(
        scrubbed.complete
          ? 'personal data sealed; the old plaintext was scrubbed from the database file (Postgres: VACUUM FULL in a quiet hour, and retiring old backups and WAL archives, remove the last copies)'
          : 'personal data sealed; the file could not be scrubbed yet (another process was reading): the next start tries again',
      )
    }
    if (scrubbed.complete) await markPlainDataSealed(db, Date.now())
    return { alreadyDone: false as const, progress, scrubbed: scrubbed.complete }
  })
}

async function plainDataSealed(db: DB) {
  const row = await firstRow(db.select({ at: instanceSettings.plainDataSealedAt }).from(instanceSettings).where(eq(instanceSettings.id, 1)))
  return row?.at != null
}

async function markPlainDataSealed(db: DB, now: number) {
  await transaction(db, async (tx) => {
    await execute(
      tx
        .insert(instanceSettings)
        .values({ id: 1, plainDataSealedAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: instanceSettings.id, set: { plainDataSealedAt: now } }),
    )
  })
}

type Batch = { lastId: number | null; rows: number }

/** Keyset over a table by id, among the rows `plain` selects: the batch's last id and how many it rewrote. */
function lastIdOf(rows: { id: number }[]): number | null {
  return rows.length === 0 ? null : rows[rows.length - 1]!.id
}

async function sealSupporterBatch(tx: Tx, afterId: number, limit: number): Promise<Batch> {
  const rows = await allRows(
    tx
      .select({ id: supporters.id, email: supporters.email, emailNormalized: supporters.emailNormalized, firstName: supporters.firstName, lastName: supporters.lastName })
      .from(supporters)
      .where(and(gt(supporters.id, afterId), or(isNotNull(supporters.email), isNotNull(supporters.emailNormalized), isNotNull(supporters.firstName), isNotNull(supporters.lastName))))
      .orderBy(asc(supporters.id))
      .limit(limit),
  )
  await updateRowsById(tx, 'supporters', {
    columns: ['sealed', 'email_hash', 'email_domain_hash', 'data_key_id'],
    blank: ['email_normalized', 'email', 'first_name', 'last_name'],
    rows: rows.map((row) => {
      // `email` as typed is the address written to; the normalised one is the fallback of a damaged row.
      const sealed = sealSupporter({ email: row.email || row.emailNormalized || '', firstName: row.firstName ?? '', lastName: row.lastName ?? '' })
      // Hashed from the stored unique key (normalising it again changes nothing): distinct before, distinct after.
      const hash = row.emailNormalized ? emailHash(row.emailNormalized) : sealed.emailHash
      return { id: row.id, values: [sealed.sealed, hash, sealed.emailDomainHash, sealed.dataKeyId] }
    }),
  })
  return { lastId: lastIdOf(rows), rows: rows.length }
}

async function sealSignatureBatch(tx: Tx, afterId: number, limit: number): Promise<Batch> {
  const s = signatures
  const rows = await allRows(
    tx
      .select({
        id: s.id,
        campaignId: s.campaignId,
        firstName: s.firstName,
        lastName: s.lastName,
        postalCode: s.postalCode,
        message: s.message,
        anonymisedAt: s.anonymisedAt,
        status: s.status,
        resubmitted: s.resubmittedDetails,
      })
      .from(s)
      .where(and(gt(s.id, afterId), or(isNotNull(s.firstName), isNotNull(s.lastName), isNotNull(s.postalCode), isNotNull(s.message), isNotNull(s.resubmittedDetails))))
      .orderBy(asc(s.id))
      .limit(limit),
  )
  const keyId = currentDataKeyId()
  const words: { campaignId: number; wordHash: string; signatureId: number }[] = []
  const updates = rows.map((row) => {
    // Anonymised (retention, forget-me) rows kept '' as names: nothing personal is left to seal.
    const anonymised = row.anonymisedAt !== null || (!row.firstName && !row.lastName && !row.postalCode && !row.message)
    const sealed = anonymised ? null : sealSignature({ firstName: row.firstName ?? '', lastName: row.lastName ?? '', postalCode: row.postalCode, message: row.message }).sealed
    // Name words for confirmed signatures only (ADR 017): a pending one gets them when it is confirmed.
    if (sealed !== null && row.status === 'confirmed') for (const wordHash of nameWordHashes(row.firstName, row.lastName)) words.push({ campaignId: row.campaignId, wordHash, signatureId: row.id })
    return { id: row.id, values: [sealed, row.resubmitted ? sealResubmitted(row.resubmitted) : null, keyId] }
  })
  await updateRowsById(tx, 'signatures', {
    columns: ['sealed', 'resubmitted_sealed', 'data_key_id'],
    blank: ['first_name', 'last_name', 'postal_code', 'message', 'resubmitted_details'],
    rows: updates,
  })
  // Still-plain rows have no name words yet (they are written with the sealed names, in this transaction).
  for (let i = 0; i < words.length; i += 1_000) await execute(tx.insert(signatureNameWords).values(words.slice(i, i + 1_000)).onConflictDoNothing())
  return { lastId: lastIdOf(rows), rows: rows.length }
}

async function writeNameWords(tx: Tx, signatureId: number, campaignId: number, hashes: string[]) {
  await execute(tx.delete(signatureNameWords).where(eq(signatureNameWords.signatureId, signatureId)))
  if (hashes.length === 0) return
  await execute(
    tx
      .insert(signatureNameWords)
      .values(hashes.map((wordHash) => ({ campaignId, wordHash, signatureId })))
      .onConflictDoNothing(),
  )
}

async function sealDonationBatch(tx: Tx, afterId: number, limit: number): Promise<Batch> {
  const d = donations
  const rows = await allRows(
    tx
      .select({ id: d.id, email: d.email, receiptName: d.receiptName, publicName: d.publicName, message: d.message })
      .from(d)
      .where(and(gt(d.id, afterId), or(isNotNull(d.email), isNotNull(d.receiptName), isNotNull(d.publicName), isNotNull(d.message))))
      .orderBy(asc(d.id))
      .limit(limit),
  )
  const keyId = currentDataKeyId()
  await updateRowsById(tx, 'donations', {
    columns: ['sealed', 'data_key_id'],
    blank: ['email', 'receipt_name', 'public_name', 'message'],
    rows: rows.map((row) => {
      // A forgotten donor's row kept '' as its address and no names: it stays without an envelope.
      const personal = Boolean(row.email) || row.receiptName !== null || row.publicName !== null || row.message !== null
      const sealed = personal ? sealDonation({ email: row.email ?? '', receiptName: row.receiptName, publicName: row.publicName, message: row.message }).sealed : null
      return { id: row.id, values: [sealed, keyId] }
    }),
  })
  return { lastId: lastIdOf(rows), rows: rows.length }
}

async function sealReplyBatch(tx: Tx, afterId: number, limit: number): Promise<Batch> {
  const rows = await allRows(
    tx.select({ id: replies.id, body: replies.body }).from(replies).where(and(gt(replies.id, afterId), isNotNull(replies.body))).orderBy(asc(replies.id)).limit(limit),
  )
  await updateRowsById(tx, 'replies', {
    columns: ['sealed', 'data_key_id'],
    blank: ['body'],
    rows: rows.map((row) => {
      const sealed = sealReply({ body: row.body ?? '' })
      return { id: row.id, values: [sealed.sealed, sealed.dataKeyId] }
    }),
  })
  return { lastId: lastIdOf(rows), rows: rows.length }
}

async function sealEmailBatch(tx: Tx, afterId: number, limit: number): Promise<Batch> {
  const m = emailMessages
  const rows = await allRows(
    tx.select({ id: m.id, template: m.template, to: m.toEmail, props: m.props }).from(m).where(and(gt(m.id, afterId), isNotNull(m.toEmail))).orderBy(asc(m.id)).limit(limit),
  )
  // An update's message names nobody in its props and goes to its supporter's address (ADR 017).
  const isUpdate = (row: (typeof rows)[number]) => row.template === 'campaign-update' && typeof row.props.updateId === 'number'
  const updates = rows.filter(isUpdate).map((row) => row.id)
  const sealedRows = rows.filter((row) => !isUpdate(row))
  if (updates.length > 0) await execute(tx.update(m).set({ toEmail: null }).where(inArray(m.id, updates)))
  await updateRowsById(tx, 'email_messages', {
    columns: ['sealed', 'data_key_id'],
    blank: ['to_email'],
    rows: sealedRows.map((row) => {
      const sealed = sealEmail({ to: row.to ?? '', props: row.props })
      return { id: row.id, values: [sealed.sealed, sealed.dataKeyId] }
    }),
  })
  if (sealedRows.length > 0) await execute(tx.update(m).set({ props: {} }).where(inArray(m.id, sealedRows.map((row) => row.id))))
  return { lastId: lastIdOf(rows), rows: rows.length }
}

async function moveSuppressionBatch(tx: Tx, limit: number) {
  const rows = await allRows(tx.select().from(suppressions).orderBy(asc(suppressions.emailNormalized)).limit(limit))
  if (rows.length === 0) return 0
  await execute(
    tx
      .insert(suppressedAddresses)
      .values(rows.map((r) => ({ ...sealSuppression(r.emailNormalized), reason: r.reason, createdAt: r.createdAt })))
      .onConflictDoNothing(),
  )
  await execute(
    tx.delete(suppressions).where(
      inArray(
        suppressions.emailNormalized,
        rows.map((r) => r.emailNormalized),
      ),
    ),
  )
  return rows.length
}

// ——— Rotation: older key → newest key ———

/** How many rows each key holds, per table (rows without an envelope or hash are not counted). */
export async function dataKeyUsage(db: DB) {
  const usage: { table: string; keyId: string; rows: number }[] = []
  const tables = [
    ['supporters', supporters],
    ['signatures', signatures],
    ['donations', donations],
    ['replies', replies],
    ['email_messages', emailMessages],
    ['suppressed_addresses', suppressedAddresses],
    ['organizer_totp', organizerTotp],
  ] as const
  for (const [table, t] of tables) {
    const rows = await allRows(db.select({ keyId: t.dataKeyId, rows: count() }).from(t).where(isNotNull(t.dataKeyId)).groupBy(t.dataKeyId))
    for (const row of rows) if (row.keyId !== null) usage.push({ table, keyId: row.keyId, rows: Number(row.rows) })
  }
  return usage
}

/**
 * The loaded keys after the newest that no row names any more (safe to remove from VIGIL_DATA_KEY).
 * Suppressions of forgotten addresses (hash only, nothing to hash again) keep naming their key;
 * they are reported apart, since removing that key lets mail reach those addresses again.
 */
export async function unusedDataKeys(db: DB) {
  const [, ...older] = dataCrypto().keyIds
  if (older.length === 0) return { unused: [], hashOnlySuppressions: [] as { keyId: string; rows: number }[] }
  const usage = await dataKeyUsage(db)
  const hashOnly = await allRows(
    db
      .select({ keyId: suppressedAddresses.dataKeyId, rows: count() })
      .from(suppressedAddresses)
      .where(and(isNull(suppressedAddresses.sealed), inArray(suppressedAddresses.dataKeyId, older)))
      .groupBy(suppressedAddresses.dataKeyId),
  )
  const hashOnlySuppressions = hashOnly.map((r) => ({ keyId: r.keyId, rows: Number(r.rows) }))
  const usedOtherwise = (keyId: string) => {
    const inTables = usage.filter((u) => u.keyId === keyId).reduce((n, u) => n + u.rows, 0)
    const onlyHashes = hashOnlySuppressions.find((h) => h.keyId === keyId)?.rows ?? 0
    return inTables - onlyHashes > 0
  }
  return { unused: older.filter((keyId) => !usedOtherwise(keyId)), hashOnlySuppressions }
}

/** `skipped`: rows that changed while read (run again); `conflicts`: supporters whose address another supporter holds too (to merge by hand). */
export type RotationProgress = { table: string; resealed: number; skipped: number; conflicts: number }

/** The steps of a rotation, in order (`afterStep` is told each one as it ends). */
export type RotationStep = 'suppressed_addresses' | 'supporters' | 'signatures' | 'donations' | 'replies' | 'email_messages' | 'organizer_totp' | 'old suppressions removed'

/**
 * Seal again, under the newest key, every row sealed or hashed under an older one. Rows changed by
 * someone else between the read and the write are skipped this round and taken by the next one
 * (the loop runs until a round finds nothing left, or only rows that keep changing).
 *
 * Suppressions come FIRST and their old-key rows go LAST: the sender and the audience find a
 * supporter's suppression by `suppressed_addresses.email_hash = supporters.email_hash`, so while
 * supporters are hashed again, some under the old key and some under the new, each suppression
 * must be there under both (a supporter re-hashed before its suppression, or the reverse, would
 * be mailed). The old-key rows are deleted only once no supporter is left under an older key.
 */
export async function resealUnderNewestKey(
  db: DB,
  { log = () => {}, batchSize = BATCH, afterStep = async () => {} }: { log?: Log; batchSize?: number; afterStep?: (step: RotationStep) => Promise<void> } = {},
) {
  const newest = currentDataKeyId()
  const progress: RotationProgress[] = []
  const copied = await copySuppressionsToNewestKey(db, { batchSize })
  if (copied > 0) log(`suppressed_addresses: ${copied.toLocaleString('en')} hashed again under key ${newest} (the older rows stay until every supporter is under it)`)
  await afterStep('suppressed_addresses')
  const jobs: [RotationStep, (tx: Tx, afterId: number) => Promise<Batch & { skipped: number; conflicts?: number }>][] = [
    ['supporters', (tx, afterId) => resealSupporters(tx, newest, afterId, batchSize)],
    ['signatures', (tx, afterId) => resealSignatures(tx, newest, afterId, batchSize)],
    ['donations', (tx, afterId) => resealSimple(tx, donations, 'donation', newest, afterId, batchSize)],
    ['replies', (tx, afterId) => resealSimple(tx, replies, 'reply', newest, afterId, batchSize)],
    ['email_messages', (tx, afterId) => resealSimple(tx, emailMessages, 'email', newest, afterId, batchSize)],
    // Organisers' authenticator secrets (ADR 019): left under a removed key, the app would stop working.
    ['organizer_totp', (tx, afterId) => resealTotpSecrets(tx, newest, afterId, batchSize)],
  ]
  for (const [table, batch] of jobs) {
    let resealed = 0
    let skipped = 0
    let conflicts = 0
    // A few rounds: a row skipped because it changed meanwhile is usually under the newest key after.
    for (let round = 0; round < 3; round++) {
      let afterId = 0
      let skippedThisRound = 0
      conflicts = 0
      for (;;) {
        const done = await transaction(db, (tx) => batch(tx, afterId))
        resealed += done.rows
        skippedThisRound += done.skipped
        conflicts += done.conflicts ?? 0
        if (done.lastId === null) break
        afterId = done.lastId
        log(`${table}: ${resealed.toLocaleString('en')} sealed again under key ${newest}`)
      }
      skipped = skippedThisRound
      if (skipped === 0) break
    }
    progress.push({ table, resealed, skipped, conflicts })
    await afterStep(table)
  }
  const removed = await removeOlderSuppressions(db, newest)
  if (removed === null) log(`suppressed_addresses: the rows under older keys stay while some supporter is under one (run keys:rotate again)`)
  else await afterStep('old suppressions removed')
  progress.push({ table: 'suppressed_addresses', resealed: copied, skipped: 0, conflicts: 0 })
  return progress
}

/**
 * Every suppression whose address is kept (sealed) and that is under an older key, present under
 * the newest key's hash too (the missing rows inserted; none deleted): the supporters hashed under
 * the newest key (new ones, and those keys:rotate has done) must find it. At each start with
 * several keys loaded (a rotation's steps restart every process) and as keys:rotate's first step.
 * Older-key rows for supporters not yet re-hashed exist already: the rows were made under that key,
 * and the delivery webhook writes a bounce under every loaded key. Hash-only rows (forgotten
 * addresses) cannot be hashed again. Returns how many rows it added.
 */
export async function copySuppressionsToNewestKey(db: DB, { batchSize = BATCH }: { batchSize?: number } = {}) {
  if (dataCrypto().keyIds.length < 2) return 0
  const newest = currentDataKeyId()
  const t = suppressedAddresses
  let added = 0
  let after = ''
  for (;;) {
    const rows = await allRows(
      db
        .select()
        .from(t)
        .where(and(gt(t.emailHash, after), olderKey(t.dataKeyId, newest), isNotNull(t.sealed)))
        .orderBy(asc(t.emailHash))
        .limit(batchSize),
    )
    if (rows.length === 0) return added
    after = rows.at(-1)!.emailHash
    await transaction(db, async (tx) => {
      for (const row of rows) {
        const fresh = sealSuppression(openSuppression(row.sealed!).emailNormalized)
        added += (await execute(tx.insert(t).values({ ...fresh, reason: row.reason, createdAt: row.createdAt }).onConflictDoNothing())).changes
      }
    })
  }
}

/**
 * The rotation's last step: suppressions under older keys deleted (their rows under the newest key
 * were made first), but only when no supporter is left under an older key; null if one is.
 * Hash-only rows stay (see unusedDataKeys).
 */
async function removeOlderSuppressions(db: DB, newest: string): Promise<number | null> {
  return transaction(db, async (tx) => {
    if (await firstRow(tx.select({ id: supporters.id }).from(supporters).where(olderKey(supporters.dataKeyId, newest)).limit(1))) return null
    const t = suppressedAddresses
    return (await execute(tx.delete(t).where(and(olderKey(t.dataKeyId, newest), isNotNull(t.sealed))))).changes
  })
}

const olderKey = (column: Parameters<typeof ne>[0], newest: string) => and(isNotNull(column), ne(column, newest))
const sameValue = (column: Parameters<typeof eq>[0], value: string | null) => (value === null ? isNull(column) : eq(column, value))

async function resealSupporters(tx: Tx, newest: string, afterId: number, limit: number) {
  const rows = await allRows(
    tx
      .select({ id: supporters.id, sealed: supporters.sealed, keyId: supporters.dataKeyId })
      .from(supporters)
      .where(and(gt(supporters.id, afterId), olderKey(supporters.dataKeyId, newest)))
      .orderBy(asc(supporters.id))
      .limit(limit),
  )
  let rewritten = 0
  let conflicts = 0
  for (const row of rows) {
    if (row.sealed === null) continue
    const sealed = sealSupporter(openSupporter(row.sealed))
    try {
      // A savepoint: should another supporter already hold this address's new hash (a duplicate
      // some writer made), this row alone stays under the old key and is reported, not the batch lost.
      const { changes } = await transaction(tx, (savepoint) =>
        execute(
          savepoint
            .update(supporters)
            .set(sealed)
            .where(and(eq(supporters.id, row.id), eq(supporters.dataKeyId, row.keyId!), eq(supporters.sealed, row.sealed!))),
        ),
      )
      rewritten += changes
    } catch (error) {
      if (!constraintViolation(error)) throw error
      conflicts++
    }
  }
  return { lastId: lastIdOf(rows), rows: rewritten, skipped: rows.length - rewritten - conflicts, conflicts }
}

async function resealSignatures(tx: Tx, newest: string, afterId: number, limit: number) {
  const s = signatures
  const rows = await allRows(
    tx
      .select({ id: s.id, campaignId: s.campaignId, status: s.status, sealed: s.sealed, resubmitted: s.resubmittedSealed, keyId: s.dataKeyId })
      .from(s)
      .where(and(gt(s.id, afterId), olderKey(s.dataKeyId, newest)))
      .orderBy(asc(s.id))
      .limit(limit),
  )
  let rewritten = 0
  for (const row of rows) {
    const opened = openSignature(row.sealed)
    const resubmitted: ResubmittedDetails | null = openResubmitted(row.resubmitted)
    const { changes } = await execute(
      tx
        .update(s)
        .set({ sealed: opened ? sealSignature(opened).sealed : null, resubmittedSealed: resubmitted ? sealResubmitted(resubmitted) : null, dataKeyId: newest })
        .where(and(eq(s.id, row.id), eq(s.dataKeyId, row.keyId!), sameValue(s.sealed, row.sealed), sameValue(s.resubmittedSealed, row.resubmitted))),
    )
    if (changes === 0) continue
    rewritten++
    // The name words' hashes are keyed too: made again from the names of a confirmed signature; none
    // for a pending one (it gets them when confirmed) or once anonymised.
    await writeNameWords(tx, row.id, row.campaignId, opened && row.status === 'confirmed' ? nameWordHashes(opened.firstName, opened.lastName) : [])
  }
  return { lastId: lastIdOf(rows), rows: rewritten, skipped: rows.length - rewritten }
}

const OPENERS = {
  donation: (sealed: string) => sealDonation(openDonation(sealed)!).sealed,
  reply: (sealed: string) => sealReply(openReply(sealed)!).sealed,
  email: (sealed: string) => sealEmail(openEmail(sealed)).sealed,
}

async function resealSimple(tx: Tx, t: typeof donations | typeof replies | typeof emailMessages, kind: keyof typeof OPENERS, newest: string, afterId: number, limit: number) {
  const rows = await allRows(
    tx
      .select({ id: t.id, sealed: t.sealed, keyId: t.dataKeyId })
      .from(t)
      .where(and(gt(t.id, afterId), olderKey(t.dataKeyId, newest)))
      .orderBy(asc(t.id))
      .limit(limit),
  )
  let rewritten = 0
  for (const row of rows) {
    const sealed = row.sealed === null ? null : OPENERS[kind](row.sealed)
    const { changes } = await execute(
      tx
        .update(t)
        .set({ sealed, dataKeyId: newest })
        .where(and(eq(t.id, row.id), eq(t.dataKeyId, row.keyId!), sameValue(t.sealed, row.sealed))),
    )
    rewritten += changes
  }
  return { lastId: lastIdOf(rows), rows: rewritten, skipped: rows.length - rewritten }
}

/** Authenticator secrets, bound to their organiser (totpPurpose); keyset on organizer_id. */
async function resealTotpSecrets(tx: Tx, newest: string, afterId: number, limit: number) {
  const t = organizerTotp
  const rows = await allRows(
    tx
      .select({ id: t.organizerId, sealed: t.sealed, keyId: t.dataKeyId, confirmedAt: t.confirmedAt })
      .from(t)
      .where(and(gt(t.organizerId, afterId), ne(t.dataKeyId, newest)))
      .orderBy(asc(t.organizerId))
      .limit(limit),
  )
  let rewritten = 0
  for (const row of rows) {
    if (row.confirmedAt === null) {
      // A set-up in progress is sealed for the session that started it, which this cannot open:
      // it is dropped, and that session starts again (a new QR code).
      rewritten += (await execute(tx.delete(t).where(and(eq(t.organizerId, row.id), eq(t.sealed, row.sealed), isNull(t.confirmedAt))))).changes
      continue
    }
    const purpose = totpPurpose(row.id)
    const sealed = dataCrypto().seal(dataCrypto().open(row.sealed, purpose), purpose)
    // Compare-and-set: a set-up started again meanwhile has a new secret, and keeps it.
    const { changes } = await execute(tx.update(t).set({ sealed, dataKeyId: newest }).where(and(eq(t.organizerId, row.id), eq(t.dataKeyId, row.keyId), eq(t.sealed, row.sealed))))
    rewritten += changes
  }
  return { lastId: lastIdOf(rows), rows: rewritten, skipped: rows.length - rewritten }
}

/**
 * The start-up step (after the migrations, before serving or working): seal what an upgrade left in
 * plaintext, then say which older data keys no row needs any more. `name` prefixes the log lines.
 */
export async function sealAtStart(db: DB, { name }: { name: string }) {
  const log = (line: string) => console.log(`${name}: ${line}`)
  const result = await sealExistingData(db, { log })
  if (!result.alreadyDone && result.progress.some((p) => p.rows > 0)) log('every personal field is now sealed under the data key')
  // Several keys loaded: a rotation's step. A supporter hashed under the newest key must find its suppression.
  const copied = await copySuppressionsToNewestKey(db)
  if (copied > 0) log(`${copied} suppression(s) hashed again under the newest data key`)
  const { unused, hashOnlySuppressions } = await unusedDataKeys(db)
  for (const keyId of unused) log(`data key "${keyId}" is no longer used: remove it from VIGIL_DATA_KEY and restart (backups made before still need it)`)
  for (const { keyId, rows } of hashOnlySuppressions) {
    log(`data key "${keyId}" still keys ${rows} suppression(s) of forgotten addresses (hash only); removing the key lets mail reach them again`)
  }
  return result
}
