import type { ResubmittedDetails } from '#db/schema.ts'
import { dataCrypto, type SealPurpose } from '~/utils/data-crypto.server.ts'
import { emailDomain, normalizeEmail } from '~/utils/email.ts'

/**
 * Supporters' personal data as the database holds it (docs/decisions/017-encryption-at-rest.md):
 * the fields a row writes together are sealed as ONE envelope of JSON in its `sealed` column
 * (creating a cipher costs more than the bytes, so one envelope per row, not per column), and
 * what must be found or kept unique is a keyed hash. Every reader and writer of these fields
 * goes through here; a model that reads a plain column (first_name, email…) finds null.
 */

export type SupporterData = { email: string; firstName: string; lastName: string }
export type SignatureData = { firstName: string; lastName: string; postalCode: string | null; message: string | null }
export type DonationData = { email: string; receiptName: string | null; publicName: string | null; message: string | null }
export type ReplyData = { body: string }
export type EmailData = { to: string; props: Record<string, unknown> }
export type SuppressionData = { emailNormalized: string }

/** What a sealed row stores: its envelope and the key it was made under. */
export type Sealed = { sealed: string; dataKeyId: string }

const PURPOSES = {
  supporter: { table: 'supporters', column: 'sealed' },
  signature: { table: 'signatures', column: 'sealed' },
  resubmitted: { table: 'signatures', column: 'resubmitted_sealed' },
  reply: { table: 'replies', column: 'sealed' },
  donation: { table: 'donations', column: 'sealed' },
  email: { table: 'email_messages', column: 'sealed' },
  suppression: { table: 'suppressed_addresses', column: 'sealed' },
} as const satisfies Record<string, SealPurpose>

export type SealedKind = keyof typeof PURPOSES

function sealJson(kind: SealedKind, value: unknown): Sealed {
  const crypto = dataCrypto()
  return { sealed: crypto.seal(JSON.stringify(value), PURPOSES[kind]), dataKeyId: crypto.keyIds[0]! }
}

function openJson<T>(kind: SealedKind, sealed: string): T {
  return JSON.parse(dataCrypto().open(sealed, PURPOSES[kind])) as T
}

/** The id of the key new data is sealed and hashed under. */
export function currentDataKeyId() {
  return dataCrypto().keyIds[0]!
}

// ——— Keyed hashes (one purpose each, so a hash of one kind never matches another) ———

/** The keyed hash of an address, normalised (case, +tags, Gmail's dots): finds the supporter, their suppression, their /me limit. */
export function emailHash(address: string) {
  return dataCrypto().lookupHash(normalizeEmail(address), 'email')
}

/** The address's hash under every loaded key, newest first: lookups during a rotation (`where email_hash in (…)`). */
export function emailHashes(address: string) {
  return dataCrypto().lookupHashes(normalizeEmail(address), 'email').map((h) => h.hash)
}

/** The keyed hash of an address's domain (or of a domain as typed: `Example.ORG` = `example.org`). */
export function emailDomainHash(addressOrDomain: string) {
  return dataCrypto().lookupHash(domainOf(addressOrDomain), 'email-domain')
}

export function emailDomainHashes(addressOrDomain: string) {
  return dataCrypto().lookupHashes(domainOf(addressOrDomain), 'email-domain').map((h) => h.hash)
}

function domainOf(addressOrDomain: string) {
  const value = addressOrDomain.trim().toLowerCase()
  // The normalised address's domain, so googlemail.com and gmail.com are one.
  return value.includes('@') ? emailDomain(normalizeEmail(value)) : value === 'googlemail.com' ? 'gmail.com' : value
}

/** A client address's keyed hash (rate limits, grouping signatures by client): under the data key, not SESSION_SECRET. */
export function clientAddressHash(clientAddress: string) {
  return dataCrypto().lookupHash(clientAddress, 'client-address')
}

/** The words of a name as the back office finds them: lower case, accents folded, split on anything not a letter or digit. */
export function nameWords(...names: (string | null | undefined)[]) {
  const words = new Set<string>()
  for (const name of names) {
    for (const word of (name ?? '').normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (word) words.add(word)
  }
  return [...words]
}

/** One keyed hash per word of these names (signature_name_words rows). */
export function nameWordHashes(...names: (string | null | undefined)[]) {
  const crypto = dataCrypto()
  return nameWords(...names).map((word) => crypto.lookupHash(word, 'name-word'))
}

/** A searched word's hash under every loaded key (a row not yet re-hashed by keys:rotate carries an older one). */
export function nameWordHashesOf(word: string) {
  const [folded] = nameWords(word)
  return folded ? dataCrypto().lookupHashes(folded, 'name-word').map((h) => h.hash) : []
}

// ——— Sealing and opening, per table ———

/** A supporter's sealed row: the envelope, the address's hash (the unique key) and its domain's hash. */
export function sealSupporter(data: SupporterData, known?: { emailHash: string }): Sealed & { emailHash: string; emailDomainHash: string } {
  const value: SupporterData = { email: data.email.trim(), firstName: data.firstName, lastName: data.lastName }
  // `known`: the caller has just hashed this address (emailHashes(…)[0]) to look it up.
  return { ...sealJson('supporter', value), emailHash: known?.emailHash ?? emailHash(value.email), emailDomainHash: emailDomainHash(value.email) }
}

export function openSupporter(sealed: string): SupporterData {
  return openJson('supporter', sealed)
}

export function sealSignature(data: SignatureData): Sealed {
  const value: SignatureData = { firstName: data.firstName, lastName: data.lastName, postalCode: data.postalCode ?? null, message: data.message ?? null }
  return sealJson('signature', value)
}

/** Null when the signature has been anonymised (retention, forget-me). */
export function openSignature(sealed: string | null): SignatureData | null {
  return sealed === null ? null : openJson('signature', sealed)
}

export function sealResubmitted(details: ResubmittedDetails): string {
  return sealJson('resubmitted', details).sealed
}

export function openResubmitted(sealed: string | null): ResubmittedDetails | null {
  return sealed === null ? null : openJson('resubmitted', sealed)
}

export function sealDonation(data: DonationData): Sealed {
  const value: DonationData = { email: data.email.trim(), receiptName: data.receiptName ?? null, publicName: data.publicName ?? null, message: data.message ?? null }
  return sealJson('donation', value)
}

/** Null once the donor asked to be forgotten: amounts, dates and Stripe ids stay, no name or address. */
export function openDonation(sealed: string | null): DonationData | null {
  return sealed === null ? null : openJson('donation', sealed)
}

export function sealReply(data: ReplyData): Sealed {
  return sealJson('reply', { body: data.body })
}

export function openReply(sealed: string | null): ReplyData | null {
  return sealed === null ? null : openJson('reply', sealed)
}

export function sealEmail(data: EmailData): Sealed {
  return sealJson('email', { to: data.to, props: data.props })
}

export function openEmail(sealed: string): EmailData {
  return openJson('email', sealed)
}

/** A suppression's row: keyed by the address's hash, the normalised address sealed beside it (so keys:rotate can hash it again). */
export function sealSuppression(address: string): Sealed & { emailHash: string } {
  const emailNormalized = normalizeEmail(address)
  return { ...sealJson('suppression', { emailNormalized } satisfies SuppressionData), emailHash: emailHash(emailNormalized) }
}

export function openSuppression(sealed: string): SuppressionData {
  return openJson('suppression', sealed)
}

/**
 * A suppression's rows for `address`, one under each loaded key's hash (its key id beside it), the
 * address sealed under the newest. Written together, a suppression matches a supporter hashed under
 * any loaded key: the delivery webhook writes these while a rotation may be under way.
 */
export function suppressionRowsUnderEveryKey(address: string) {
  const emailNormalized = normalizeEmail(address)
  const { sealed } = sealJson('suppression', { emailNormalized } satisfies SuppressionData)
  return dataCrypto()
    .lookupHashes(emailNormalized, 'email')
    .map(({ keyId, hash }) => ({ emailHash: hash, sealed, dataKeyId: keyId }))
}
