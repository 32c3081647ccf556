import { sql } from 'drizzle-orm'
import {
  type AnySQLiteColumn,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'

// Times are unix epoch milliseconds (integer); calendar dates are 'YYYY-MM-DD' text.
/** Now, in epoch milliseconds, as a column default (db/schema.pg.ts gives Postgres its own words for it). */
export const nowMs = sql`(cast(unixepoch('subsec') * 1000 as integer))`
const now = nowMs
const createdAt = () => integer('created_at').notNull().default(now)

export const LOCALES = ['en', 'de', 'es'] as const
export type Locale = (typeof LOCALES)[number]
export const CAMPAIGN_STATUSES = ['draft', 'live', 'closed', 'won'] as const
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number]
export const ORGANIZER_ROLES = ['owner', 'editor'] as const
export type OrganizerRole = (typeof ORGANIZER_ROLES)[number]
export const SESSION_LEVELS = ['password', 'setup', 'full'] as const
export type SessionLevel = (typeof SESSION_LEVELS)[number]
export const SECOND_FACTOR_METHODS = ['totp', 'recovery_code', 'passkey'] as const
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number]
export const SECOND_FACTOR_POLICIES = ['none', 'owners', 'owners_managers', 'everyone'] as const
export type SecondFactorPolicy = (typeof SECOND_FACTOR_POLICIES)[number]
export const WEBAUTHN_CEREMONIES = ['register', 'second_factor', 'sign_in'] as const
export type WebauthnCeremony = (typeof WEBAUTHN_CEREMONIES)[number]

export const organizations = sqliteTable('organizations', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  address: text('address').notNull().default(''),
  website: text('website'),
  createdAt: createdAt(),
})

export const organizers = sqliteTable('organizers', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  organizationId: integer('organization_id')
    .notNull()
    .references(() => organizations.id),
  // Stored lower-cased and trimmed; organisers log in with it.
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash'),
  role: text('role', { enum: ORGANIZER_ROLES }).notNull().default('editor'),
  disabledAt: integer('disabled_at'),
  createdAt: createdAt(),
  // WebAuthn user handle (random, base64url): the same for all of an organiser's passkeys. Set at the first registration.
  webauthnUserId: text('webauthn_user_id'),
})

// One-time links (set or reset a password). Only the SHA-256 of the token is kept.
export const organizerTokens = sqliteTable('organizer_tokens', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  organizerId: integer('organizer_id')
    .notNull()
    .references(() => organizers.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  purpose: text('purpose', { enum: ['set_password'] }).notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  createdAt: createdAt(),
})

// Server-side sessions: the cookie carries a random id, the table its SHA-256,
// so logging out or disabling an organiser ends the session at once.
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    organizerId: integer('organizer_id')
      .notNull()
      .references(() => organizers.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
    // Constant defaults below: SQLite cannot ADD COLUMN with an expression.
    // 'password': a second factor is owed; 'setup': one must be set up first; 'full': signed in (ADR 019).
    level: text('level', { enum: SESSION_LEVELS }).notNull().default('password'),
    // What completed the sign-in: null for a password alone when no factor was owed.
    secondFactor: text('second_factor', { enum: SECOND_FACTOR_METHODS }),
    // "Firefox on Linux", from the User-Agent at sign-in; never the header itself, never an address.
    device: text('device').notNull().default(''),
    // Coarse: written at most every SESSION_TOUCH_MS, so a page view is not a write.
    lastSeenAt: integer('last_seen_at').notNull().default(0),
  },
  (t) => [index('sessions_organizer_idx').on(t.organizerId)],
)

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    organizerId: integer('organizer_id').references(() => organizers.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id'),
    // JSON: what changed. Never secrets, never supporter emails.
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
)

export const campaigns = sqliteTable(
  'campaigns',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    organizationId: integer('organization_id')
      .notNull()
      .references(() => organizations.id),
    slug: text('slug').notNull().unique(),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('draft'),
    defaultLocale: text('default_locale', { enum: LOCALES }).notNull().default('en'),
    currency: text('currency').notNull().default('EUR'),
    // Null: the goal rises in steps as the count grows.
    signatureGoal: integer('signature_goal'),
    target: text('target').notNull().default(''),
    imagePath: text('image_path'),
    publishedAt: integer('published_at'),
    // How long signers' details are kept once the campaign stops collecting signatures (ADR 010).
    retentionDays: integer('retention_days').notNull().default(180),
    // When the status last left 'live'; null while live or if it never was.
    closedAt: integer('closed_at'),
    // When the retention job found nothing left to anonymise after closing; null until then.
    signaturesAnonymisedAt: integer('signatures_anonymised_at'),
    // One reminder to signers who have not confirmed after a day; organisers may turn it off.
    confirmationReminder: integer('confirmation_reminder', { mode: 'boolean' }).notNull().default(true),
    // New donor-wall entries (a donor's name and message) wait for an organiser's approval unless turned off.
    donorWallNeedsApproval: integer('donor_wall_needs_approval', { mode: 'boolean' }).notNull().default(true),
    // The home page opens this campaign directly while it is the only live one; owners set it.
    openFromHome: integer('open_from_home', { mode: 'boolean' }).notNull().default(false),
    // "Supporters may be at risk": no public names, no postal code, nothing of the signer sent to
    // Stripe beyond the payment, exports without names unless an owner asks (app/utils/at-risk.ts).
    atRisk: integer('at_risk', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('campaigns_status_idx').on(t.status)],
)

// Sites allowed to show a campaign's embed (/embed/c/:slug) in a frame: origins as
// `scheme://host[:port]`, normalised (app/utils/embed-origins.ts); none means no other site may.
export const campaignFrameOrigins = sqliteTable(
  'campaign_frame_origins',
  {
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    origin: text('origin').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.origin] })],
)

// Per-campaign roles of organisers who are not instance owners (ADR 011), from least to most.
// Owners need no row: they may do everything on every campaign.
export const CAMPAIGN_ROLES = ['viewer', 'editor', 'manager'] as const
export type CampaignRole = (typeof CAMPAIGN_ROLES)[number]

export const campaignMemberships = sqliteTable(
  'campaign_memberships',
  {
    organizerId: integer('organizer_id')
      .notNull()
      .references(() => organizers.id, { onDelete: 'cascade' }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    role: text('role', { enum: CAMPAIGN_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organizerId, t.campaignId] }), index('campaign_memberships_campaign_idx').on(t.campaignId)],
)

export const campaignTranslations = sqliteTable(
  'campaign_translations',
  {
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    locale: text('locale', { enum: LOCALES }).notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    // Empty means "not translated": the page falls back to the default locale.
    storyMd: text('story_md').notNull().default(''),
    petitionText: text('petition_text').notNull().default(''),
    imageAlt: text('image_alt').notNull().default(''),
    // The text share links prefill; empty: the language's default with the title.
    shareText: text('share_text').notNull().default(''),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.locale] })],
)

// Source tags a campaign's team minted (`?s=newsletter-dec`), beside the built-in ones (app/utils/sources.ts).
export const campaignSources = sqliteTable(
  'campaign_sources',
  {
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    tag: text('tag').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.tag] })],
)

// The timeline's kinds of entry.
export const UPDATE_KINDS = ['update', 'milestone', 'delivery', 'response'] as const
export type UpdateKind = (typeof UPDATE_KINDS)[number]

// Dated entries of a case's timeline. Supporter email updates (a later issue)
// are updates too: they extend this table rather than duplicate it.
export const updates = sqliteTable(
  'updates',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    happenedOn: text('happened_on').notNull(),
    authorId: integer('author_id').references((): AnySQLiteColumn => organizers.id, {
      onDelete: 'set null',
    }),
    // Null: a draft. In the future: scheduled (the public timeline shows it from then on).
    publishedAt: integer('published_at'),
    // An optional picture for the entry and its email (/media/…, metadata stripped).
    imagePath: text('image_path'),
    // What made the entry: the team's own ('update'), a milestone's draft, a recorded delivery, the target's answer.
    kind: text('kind', { enum: UPDATE_KINDS }).notNull().default('update'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('updates_campaign_idx').on(t.campaignId, t.happenedOn)],
)

export const updateTranslations = sqliteTable(
  'update_translations',
  {
    updateId: integer('update_id')
      .notNull()
      .references(() => updates.id, { onDelete: 'cascade' }),
    locale: text('locale', { enum: LOCALES }).notNull(),
    title: text('title').notNull(),
    bodyMd: text('body_md').notNull().default(''),
    imageAlt: text('image_alt').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.locale] })],
)

// Sliding-window rate limits. `keyHash` is an HMAC of the IP or account, never the raw value.
export const rateLimitHits = sqliteTable(
  'rate_limit_hits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    bucket: text('bucket').notNull(),
    keyHash: text('key_hash').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('rate_limit_hits_lookup_idx').on(t.bucket, t.keyHash, t.at)],
)

export const SIGNATURE_STATUSES = ['pending', 'confirmed', 'invalidated'] as const
export type SignatureStatus = (typeof SIGNATURE_STATUSES)[number]

// One person across everything they do, found by normalised email.
export const supporters = sqliteTable(
  'supporters',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // The keyed hash of the normalised address (ADR 017): how a supporter is found and kept unique.
    emailHash: text('email_hash').unique(),
    // The keyed hash of the address's domain: bulk invalidation by whole domain.
    emailDomainHash: text('email_domain_hash'),
    // {email (as typed the last time: the address we write to), firstName, lastName}, sealed (app/models/personal-data.server.ts).
    sealed: text('sealed'),
    // The data key `sealed` and the hashes were made with: drives the upgrade's sealing and keys:rotate.
    dataKeyId: text('data_key_id'),
    // Plaintext before ADR 017: null once sealed at start-up; dropped in a later release.
    emailNormalized: text('email_normalized').unique(),
    email: text('email'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    country: text('country').notNull(),
    locale: text('locale', { enum: LOCALES }).notNull(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('supporters_email_domain_idx').on(t.emailDomainHash)],
)

// Append-only: the latest row per (supporter, purpose, campaign) is the supporter's answer.
export const consents = sqliteTable(
  'consents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    supporterId: integer('supporter_id')
      .notNull()
      .references(() => supporters.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['campaign_updates'] }).notNull(),
    campaignId: integer('campaign_id').references(() => campaigns.id, { onDelete: 'cascade' }),
    granted: integer('granted', { mode: 'boolean' }).notNull(),
    source: text('source').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('consents_supporter_idx').on(t.supporterId, t.purpose, t.campaignId, t.id)],
)

// "My data" (/me): an emailed link, valid an hour, opens one session (a cookie scoped to /me) once.
// Only SHA-256s are kept: the link's token is derived from a seed in its queued email and the server
// secret, the session's id lives in the cookie. Signing out deletes the row; so does forgetting the supporter.
export const myDataAccess = sqliteTable(
  'my_data_access',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    supporterId: integer('supporter_id')
      .notNull()
      .references(() => supporters.id, { onDelete: 'cascade' }),
    linkHash: text('link_hash').notNull().unique(),
    linkExpiresAt: integer('link_expires_at').notNull(),
    // Set when the link was used: it opens no second session.
    sessionHash: text('session_hash').unique(),
    sessionExpiresAt: integer('session_expires_at'),
    createdAt: createdAt(),
  },
  (t) => [index('my_data_access_supporter_idx').on(t.supporterId)],
)

export const signatures = sqliteTable(
  'signatures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    // Null once anonymised, unless the signer still wants this campaign's news (ADR 010).
    supporterId: integer('supporter_id').references(() => supporters.id, { onDelete: 'set null' }),
    status: text('status', { enum: SIGNATURE_STATUSES }).notNull().default('pending'),
    // What was signed with, kept with the signature (a supporter may sign other campaigns differently):
    // {firstName, lastName, postalCode, message}, sealed (ADR 017); null once anonymised.
    sealed: text('sealed'),
    dataKeyId: text('data_key_id'),
    // Plaintext before ADR 017: null once sealed at start-up; dropped in a later release.
    firstName: text('first_name'),
    lastName: text('last_name'),
    country: text('country').notNull(),
    postalCode: text('postal_code'),
    locale: text('locale', { enum: LOCALES }).notNull(),
    showName: integer('show_name', { mode: 'boolean' }).notNull().default(false),
    message: text('message'),
    // Set when the signature carries a message (in `sealed`), null when it has none.
    messageStatus: text('message_status', { enum: ['pending', 'approved', 'rejected'] }),
    // SHA-256 of the emailed token; cleared once used.
    tokenHash: text('token_hash').unique(),
    tokenExpiresAt: integer('token_expires_at'),
    confirmationsSent: integer('confirmations_sent').notNull().default(0),
    ipHash: text('ip_hash'),
    createdAt: createdAt(),
    confirmedAt: integer('confirmed_at'),
    invalidatedAt: integer('invalidated_at'),
    invalidationReason: text('invalidation_reason'),
    // Set when the retention period ran out: names, postal code, message and hashes are gone.
    anonymisedAt: integer('anonymised_at'),
    // Asked for the campaign's news when signing: the consent is recorded only once the address is confirmed.
    updatesRequested: integer('updates_requested', { mode: 'boolean' }).notNull().default(false),
    // Signed again while pending: these details wait beside the first ones and apply only if
    // the link sent for them is the one confirmed (the first link still confirms the first details).
    resubmittedSealed: text('resubmitted_sealed'),
    // Plaintext before ADR 017 (ResubmittedDetails as JSON): null once sealed at start-up.
    resubmittedDetails: text('resubmitted_details', { mode: 'json' }).$type<ResubmittedDetails>(),
    resubmittedTokenHash: text('resubmitted_token_hash'),
    // When the one reminder to confirm was queued; never a second.
    remindedAt: integer('reminded_at'),
    // The source tag of the link the signer came by (`?s=wa`), when it was a known one; nothing else about how.
    source: text('source'),
  },
  (t) => [
    // Supporter first: deleting a supporter finds their signatures through it (the foreign key's action).
    uniqueIndex('signatures_supporter_campaign_idx').on(t.supporterId, t.campaignId),
    index('signatures_campaign_status_idx').on(t.campaignId, t.status, t.id),
    index('signatures_campaign_confirmed_idx').on(t.campaignId, t.confirmedAt),
    index('signatures_campaign_message_idx').on(t.campaignId, t.messageStatus, t.id),
    index('signatures_campaign_ip_idx').on(t.campaignId, t.ipHash),
    // The few anonymised signatures still tied to a supporter (who wants the campaign's news).
    // Signing never writes to it: a new signature is not anonymised.
    index('signatures_anonymised_linked_idx')
      .on(t.campaignId, t.id)
      .where(sql`anonymised_at is not null and supporter_id is not null`),
    // Partial, so a new signature (which has none) writes nothing to it.
    uniqueIndex('signatures_resubmitted_token_idx')
      .on(t.resubmittedTokenHash)
      .where(sql`resubmitted_token_hash is not null`),
    // Confirmed signatures by source, read from the index alone; signing (pending rows) never writes to it.
    index('signatures_campaign_source_idx')
      .on(t.campaignId, t.source)
      .where(sql`source is not null and status = 'confirmed'`),
  ],
)

/** What a pending signature was signed again with (signatures.resubmitted_details). */
export type ResubmittedDetails = {
  firstName: string
  lastName: string
  country: string
  postalCode: string | null
  locale: Locale
  showName: boolean
  message: string | null
  updates: boolean
  /** When the link sent for these details stops working (the first link keeps its own time). */
  expiresAt: number
}

// Kept exact by the transactions that change signatures; page views read these, never COUNT(*).
export const campaignCounters = sqliteTable('campaign_counters', {
  campaignId: integer('campaign_id')
    .primaryKey()
    .references(() => campaigns.id, { onDelete: 'cascade' }),
  confirmed: integer('confirmed').notNull().default(0),
  pending: integer('pending').notNull().default(0),
  // Signatures that counted once and no longer do (invalidated by the team, withdrawn by their signer):
  // only ever grows, so the public count log never goes backwards. A ledger: recount leaves it alone.
  invalidated: integer('invalidated').notNull().default(0),
  updatedAt: integer('updated_at').notNull().default(now),
})

export const countryCounters = sqliteTable(
  'country_counters',
  {
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    country: text('country').notNull(),
    confirmed: integer('confirmed').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.country] })],
)

// One row per word of a signature's first and last name, as a keyed hash (ADR 017): the back
// office finds signers by whole name words, since the names themselves are sealed.
export const signatureNameWords = sqliteTable(
  'signature_name_words',
  {
    campaignId: integer('campaign_id').notNull(),
    wordHash: text('word_hash').notNull(),
    signatureId: integer('signature_id')
      .notNull()
      .references(() => signatures.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.wordHash, t.signatureId] }), index('signature_name_words_signature_idx').on(t.signatureId)],
)

// Organisers' answers to messages of support, shown under the message as the team's.
export const replies = sqliteTable(
  'replies',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    signatureId: integer('signature_id')
      .notNull()
      .references(() => signatures.id, { onDelete: 'cascade' }),
    organizerId: integer('organizer_id').references(() => organizers.id, { onDelete: 'set null' }),
    // {body}, sealed (ADR 017): an answer often greets the signer by name.
    sealed: text('sealed'),
    dataKeyId: text('data_key_id'),
    // Plaintext before ADR 017: null once sealed at start-up.
    body: text('body'),
    createdAt: createdAt(),
  },
  (t) => [index('replies_signature_idx').on(t.signatureId)],
)

// 'batched': bulk mail waiting in its batch (the batch, not the message, is claimed and sent).
export const EMAIL_STATUSES = ['queued', 'batched', 'sending', 'sent', 'captured', 'failed'] as const
/** The order in which the sender spends the provider's requests (ADR 013). */
export const MAIL_PRIORITIES = { confirmation: 0, transactional: 1, bulk: 2 } as const
export type EmailStatus = (typeof EMAIL_STATUSES)[number]

// The outbox: one row per email, written in the transaction that causes it (see app/workflows/mail-sender.server.ts).
export const emailMessages = sqliteTable(
  'email_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    template: text('template').notNull(),
    // {to, props}, sealed (ADR 017), for a message written with its recipient and content; null for
    // an update's message, which goes to its supporter's address (through supporter_id) with `props`.
    sealed: text('sealed'),
    dataKeyId: text('data_key_id'),
    // Plaintext before ADR 017: null once sealed at start-up.
    toEmail: text('to_email'),
    locale: text('locale', { enum: LOCALES }).notNull(),
    // What names nobody (an update's id); `{}` when the content is sealed.
    props: text('props', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    campaignId: integer('campaign_id').references(() => campaigns.id, { onDelete: 'set null' }),
    status: text('status', { enum: EMAIL_STATUSES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    claimedAt: integer('claimed_at'),
    providerId: text('provider_id'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: integer('sent_at'),
    // Bulk mail (supporter updates) travels in batches; transactional mail has no batch.
    batchId: integer('batch_id').references((): AnySQLiteColumn => emailBatches.id, { onDelete: 'cascade' }),
    supporterId: integer('supporter_id').references(() => supporters.id, { onDelete: 'set null' }),
    // What the provider reported after sending (its webhook): delivered, bounced, complained.
    deliveryStatus: text('delivery_status', { enum: ['delivered', 'bounced', 'complained'] }),
    deliveryAt: integer('delivery_at'),
    // Who goes first when the provider's rate limit is the bottleneck (MAIL_PRIORITIES): a
    // confirmation before other transactional mail, and both before update batches.
    priority: integer('priority').notNull().default(1),
    // False for what Resend refuses in a batch (attachments, scheduled sends): sent one per request.
    batchable: integer('batchable', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    // Transactional mail only: bulk messages (a batch's hundreds of thousands) never pass through
    // the outbox's claim, so keeping them out spares every send that index's upkeep.
    index('email_messages_due_idx').on(t.status, t.priority, t.nextAttemptAt).where(sql`batch_id is null`),
    index('email_messages_created_idx').on(t.createdAt),
    index('email_messages_batch_idx').on(t.batchId),
    index('email_messages_provider_idx').on(t.providerId),
    // Deleting a supporter (retention) looks up their messages; without it, every deletion reads the whole outbox.
    // Partial: transactional mail carries no supporter, so signing does not pay for it.
    index('email_messages_supporter_idx').on(t.supporterId).where(sql`supporter_id is not null`),
  ],
)

/**
 * One email to many supporters: sending an update snapshots its recipients into
 * email_messages and these batches (at most 100 messages each) in one transaction.
 */
export const updateSends = sqliteTable('update_sends', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  // One send per update: pressing Send twice cannot send twice.
  updateId: integer('update_id')
    .notNull()
    .unique()
    .references(() => updates.id, { onDelete: 'cascade' }),
  campaignId: integer('campaign_id')
    .notNull()
    .references(() => campaigns.id, { onDelete: 'cascade' }),
  audience: text('audience', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
  recipients: integer('recipients').notNull(),
  createdBy: integer('created_by').references(() => organizers.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
})

export const BATCH_STATUSES = ['pending', 'submitting', 'submitted', 'failed'] as const

export const emailBatches = sqliteTable(
  'email_batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // Null for a batch of transactional mail, grouped by the sender when it is due.
    sendId: integer('send_id').references(() => updateSends.id, { onDelete: 'cascade' }),
    // MAIL_PRIORITIES: an update batch is bulk; a transactional batch takes its best message's.
    priority: integer('priority').notNull().default(2),
    // Sent as Resend's Idempotency-Key: a batch retried after a crash is delivered once.
    idempotencyKey: text('idempotency_key').notNull().unique(),
    status: text('status', { enum: BATCH_STATUSES }).notNull().default('pending'),
    size: integer('size').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    claimedAt: integer('claimed_at'),
    lastError: text('last_error'),
    submittedAt: integer('submitted_at'),
  },
  (t) => [
    index('email_batches_due_idx').on(t.status, t.priority, t.nextAttemptAt),
    index('email_batches_send_idx').on(t.sendId),
    // The back office's "sent in the last minute".
    index('email_batches_submitted_idx').on(t.submittedAt),
  ],
)

// Addresses no email may go to again: hard bounces and complaints, reported by the provider.
// Before ADR 017, by plain address: the rows move to suppressed_addresses at start-up; dropped in a later release.
export const suppressions = sqliteTable('suppressions', {
  emailNormalized: text('email_normalized').primaryKey(),
  reason: text('reason', { enum: ['bounce', 'complaint'] }).notNull(),
  createdAt: createdAt(),
})

// Addresses no email may go to again, by the keyed hash of the normalised address (ADR 017);
// `sealed` keeps the normalised address so keys:rotate can hash it again under a new key (null once
// its owner asked to be forgotten: the hash alone still keeps mail from going there).
export const suppressedAddresses = sqliteTable('suppressed_addresses', {
  emailHash: text('email_hash').primaryKey(),
  sealed: text('sealed'),
  dataKeyId: text('data_key_id').notNull(),
  reason: text('reason', { enum: ['bounce', 'complaint'] }).notNull(),
  createdAt: createdAt(),
})

// The provider webhook's dedupe ledger (Svix message ids).
export const resendEvents = sqliteTable('resend_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: integer('received_at').notNull().default(now),
})

// ——— Donations. Money is in minor units (cents); currencies are ISO 4217, upper case. ———

export const FUND_STATUSES = ['open', 'closed'] as const
export type FundStatus = (typeof FUND_STATUSES)[number]

// A named purpose with a budget, e.g. a reporting trip. Totals live in fund_counters.
export const funds = sqliteTable(
  'funds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    goalMinor: integer('goal_minor').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: FUND_STATUSES }).notNull().default('open'),
    position: integer('position').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('funds_campaign_slug_idx').on(t.campaignId, t.slug), index('funds_campaign_position_idx').on(t.campaignId, t.position)],
)

export const fundTranslations = sqliteTable(
  'fund_translations',
  {
    fundId: integer('fund_id')
      .notNull()
      .references(() => funds.id, { onDelete: 'cascade' }),
    locale: text('locale', { enum: LOCALES }).notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.fundId, t.locale] })],
)

// Kept exact by the webhook transactions: raised = what donations to the fund net today.
export const fundCounters = sqliteTable('fund_counters', {
  fundId: integer('fund_id')
    .primaryKey()
    .references(() => funds.id, { onDelete: 'cascade' }),
  raisedMinor: integer('raised_minor').notNull().default(0),
  donations: integer('donations').notNull().default(0),
  donors: integer('donors').notNull().default(0),
  updatedAt: integer('updated_at').notNull().default(now),
})

// Who has given to a fund at least once (for the donor count without COUNT(DISTINCT)).
export const fundDonors = sqliteTable(
  'fund_donors',
  {
    fundId: integer('fund_id')
      .notNull()
      .references(() => funds.id, { onDelete: 'cascade' }),
    supporterId: integer('supporter_id')
      .notNull()
      .references(() => supporters.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.fundId, t.supporterId] }), index('fund_donors_supporter_idx').on(t.supporterId)],
)

export const DONATION_INTERVALS = ['one_time', 'monthly'] as const
export type DonationInterval = (typeof DONATION_INTERVALS)[number]
export const DISPUTE_STATUSES = ['open', 'won', 'lost'] as const
export const DONOR_WALL_STATUSES = ['pending', 'approved', 'hidden'] as const
export type DonorWallStatus = (typeof DONOR_WALL_STATUSES)[number]

/**
 * One payment. Its state is a set of facts that only ever grow (paid, failed, refunded so
 * far, dispute status), so applying Stripe's events in any order, any number of times,
 * ends in the same row. `status` is derived from the facts (app/models/donations.server.ts).
 * A monthly gift is one row per paid invoice; `parentId` points at the first.
 */
export const donations = sqliteTable(
  'donations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    fundId: integer('fund_id')
      .notNull()
      .references(() => funds.id, { onDelete: 'cascade' }),
    supporterId: integer('supporter_id').references(() => supporters.id, { onDelete: 'set null' }),
    parentId: integer('parent_id').references((): AnySQLiteColumn => donations.id, { onDelete: 'set null' }),
    interval: text('interval', { enum: DONATION_INTERVALS }).notNull(),
    // What the donor chose, and what was charged (the gift plus any fees they chose to cover).
    giftMinor: integer('gift_minor').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['open', 'processing', 'succeeded', 'failed', 'refunded', 'disputed'] })
      .notNull()
      .default('open'),
    paidAt: integer('paid_at'),
    failedAt: integer('failed_at'),
    refundedMinor: integer('refunded_minor').notNull().default(0),
    disputeStatus: text('dispute_status', { enum: DISPUTE_STATUSES }),
    disputedMinor: integer('disputed_minor').notNull().default(0),
    // What this row adds to its fund's total now; the counters move by its changes.
    countedMinor: integer('counted_minor').notNull().default(0),
    // {email, receiptName, publicName, message}, sealed (ADR 017); null once forgotten.
    sealed: text('sealed'),
    dataKeyId: text('data_key_id'),
    // Plaintext before ADR 017 (these four): null once sealed at start-up.
    publicName: text('public_name'),
    message: text('message'),
    // The donor-wall entry (name and message) as moderated; null when the gift shows nothing there.
    wallStatus: text('wall_status', { enum: DONOR_WALL_STATUSES }),
    // Whom the receipt greets: asked on the form, optional; never the donor-wall name.
    receiptName: text('receipt_name'),
    // Numbered without gaps when the money is received (the transaction that records the payment).
    receiptNumber: integer('receipt_number').unique(),
    wantsUpdates: integer('wants_updates', { mode: 'boolean' }).notNull().default(false),
    locale: text('locale', { enum: LOCALES }).notNull(),
    email: text('email'),
    stripeCheckoutSessionId: text('stripe_checkout_session_id').unique(),
    stripePaymentIntentId: text('stripe_payment_intent_id').unique(),
    stripeInvoiceId: text('stripe_invoice_id').unique(),
    stripeSubscriptionId: text('stripe_subscription_id'),
    stripeCustomerId: text('stripe_customer_id'),
    subscriptionEndedAt: integer('subscription_ended_at'),
    // The source tag of the link the donor came by, as for signatures; a renewal keeps its first month's.
    source: text('source'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    index('donations_fund_paid_idx').on(t.fundId, t.paidAt),
    index('donations_campaign_created_idx').on(t.campaignId, t.id),
    index('donations_subscription_idx').on(t.stripeSubscriptionId),
    // Is a supporter still needed (retention)? And the foreign key's lookup when one is deleted.
    index('donations_supporter_idx').on(t.supporterId),
    // The back office's table, newest first, with and without its selective filters (app/models/donations-admin.server.ts).
    index('donations_campaign_time_idx').on(t.campaignId, t.createdAt),
    index('donations_campaign_status_time_idx').on(t.campaignId, t.status, t.createdAt),
    index('donations_fund_time_idx').on(t.fundId, t.createdAt),
    // Covering indexes for the back office's totals per fund and per month: read from the index alone.
    index('donations_campaign_money_idx').on(t.campaignId, t.fundId, t.currency, t.paidAt, t.amountMinor, t.countedMinor, t.refundedMinor, t.disputeStatus, t.disputedMinor),
    index('donations_campaign_paid_idx').on(t.campaignId, t.currency, t.paidAt, t.countedMinor, t.amountMinor),
  ],
)

// The webhook's dedupe ledger: an event id is inserted in the transaction that applies it.
export const stripeEvents = sqliteTable('stripe_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  created: integer('created').notNull(),
  receivedAt: integer('received_at').notNull().default(now),
  // Why a signed event could not be applied (unknown ids, amounts that do not add up); null when it was.
  failure: text('failure'),
})

// The instance's own identity (one row, id 1): what the header, the home page and emails call the team.
// Empty values fall back to Vigil's own name, colours and UI strings.
export const instanceSettings = sqliteTable('instance_settings', {
  id: integer('id').primaryKey(),
  teamName: text('team_name'),
  logoPath: text('logo_path'),
  // '#rrggbb', checked for AA contrast against white text and the page background when saved.
  accentColor: text('accent_color'),
  // When the start-up step sealed the plaintext an upgrade from before ADR 017 held (and scrubbed the
  // file on SQLite): later starts skip it. Null until then (app/models/seal-existing.server.ts).
  plainDataSealedAt: integer('plain_data_sealed_at'),
  // Who must have a second factor (ADR 019); 'owners' for new instances and upgrades alike.
  secondFactorPolicy: text('second_factor_policy', { enum: SECOND_FACTOR_POLICIES }).notNull().default('owners'),
  updatedAt: integer('updated_at').notNull().default(now),
})

export const SITE_TEXT_KINDS = ['headline', 'intro', 'privacy', 'imprint', 'contact'] as const
export type SiteTextKind = (typeof SITE_TEXT_KINDS)[number]

// Texts the owners write per language: the home page's headline and intro, and the legal pages
// (Markdown). A legal page counts as reviewed once an owner has saved it in that language.
export const siteTexts = sqliteTable(
  'site_texts',
  {
    kind: text('kind', { enum: SITE_TEXT_KINDS }).notNull(),
    locale: text('locale', { enum: LOCALES }).notNull(),
    body: text('body').notNull(),
    updatedBy: integer('updated_by').references(() => organizers.id, { onDelete: 'set null' }),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.kind, t.locale] })],
)

// ——— Reaching the target (issue 17; ADR 018): targets, milestones, deliveries, answers, the count log ———

// Whom the petition addresses (an office, a committee, a person in a public role). Its address is an
// office's published one, not a supporter's: kept plain (ADR 017 seals supporters' data).
export const campaignTargets = sqliteTable(
  'campaign_targets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    email: text('email'),
    // The language Vigil writes to this target in (milestone email, packet link).
    locale: text('locale', { enum: LOCALES }).notNull().default('en'),
    position: integer('position').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('campaign_targets_campaign_idx').on(t.campaignId, t.position)],
)

export const campaignTargetTranslations = sqliteTable(
  'campaign_target_translations',
  {
    targetId: integer('target_id').notNull().references(() => campaignTargets.id, { onDelete: 'cascade' }),
    locale: text('locale', { enum: LOCALES }).notNull(),
    // Empty means "not translated": the page falls back to the campaign's default locale, field by field.
    name: text('name').notNull().default(''),
    role: text('role').notNull().default(''),
    note: text('note').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.targetId, t.locale] })],
)

export const MILESTONE_REACHED_BY = ['count', 'setup'] as const

// A count at which something happens. Reached once: `reached_at` is set by the first transaction whose
// count is at or above the threshold (a conditional update, ADR 018) and never cleared, whatever
// invalidations follow. 'setup': already passed when the team set it (no emails).
export const campaignMilestones = sqliteTable(
  'campaign_milestones',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    threshold: integer('threshold').notNull(),
    // Email every target that has an address when it is reached (through the outbox, once).
    emailTarget: integer('email_target', { mode: 'boolean' }).notNull().default(false),
    reachedAt: integer('reached_at'),
    reachedCount: integer('reached_count'),
    reachedBy: text('reached_by', { enum: MILESTONE_REACHED_BY }),
    // The timeline draft written when it was reached, for the team to publish.
    draftUpdateId: integer('draft_update_id').references(() => updates.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('campaign_milestones_threshold_idx').on(t.campaignId, t.threshold),
    // Every confirmation looks here: partial, so a campaign whose milestones are all reached has nothing to find.
    index('campaign_milestones_unreached_idx').on(t.campaignId, t.threshold).where(sql`reached_at is null`),
  ],
)

export const campaignMilestoneTranslations = sqliteTable(
  'campaign_milestone_translations',
  {
    milestoneId: integer('milestone_id').notNull().references(() => campaignMilestones.id, { onDelete: 'cascade' }),
    locale: text('locale', { enum: LOCALES }).notNull(),
    // "we deliver the petition to the Department of Homeland Security"
    happens: text('happens').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.milestoneId, t.locale] })],
)

export const DELIVERY_METHODS = ['email', 'in_person', 'post', 'other'] as const
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number]

// A delivery of the petition: to whom, when, how. Its public face is a published timeline entry (kind 'delivery').
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    targetId: integer('target_id').references(() => campaignTargets.id, { onDelete: 'set null' }),
    recipient: text('recipient').notNull(),
    deliveredOn: text('delivered_on').notNull(),
    method: text('method', { enum: DELIVERY_METHODS }).notNull(),
    milestoneId: integer('milestone_id').references(() => campaignMilestones.id, { onDelete: 'set null' }),
    // The count and the count log's head when it was recorded (what the packet carried).
    confirmedCount: integer('confirmed_count').notNull(),
    countLogSeq: integer('count_log_seq'),
    updateId: integer('update_id').notNull().unique().references(() => updates.id, { onDelete: 'cascade' }),
    createdBy: integer('created_by').references(() => organizers.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('deliveries_campaign_idx').on(t.campaignId, t.deliveredOn)],
)

export const RESPONSE_DOCUMENT_TYPES = ['pdf', 'image'] as const

// The target's answer. Its text, per language, is its update's (update_translations, kind 'response'),
// so the page, the timeline model and the update send (email to consenting supporters) all reuse one path.
export const targetResponses = sqliteTable(
  'target_responses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: integer('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    targetId: integer('target_id').references(() => campaignTargets.id, { onDelete: 'set null' }),
    // Who answered, as they signed it ("Alejandro Mayorkas, Secretary").
    responder: text('responder').notNull(),
    respondedOn: text('responded_on').notNull(),
    documentPath: text('document_path'),
    documentType: text('document_type', { enum: RESPONSE_DOCUMENT_TYPES }),
    updateId: integer('update_id').notNull().unique().references(() => updates.id, { onDelete: 'cascade' }),
    createdBy: integer('created_by').references(() => organizers.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('target_responses_campaign_idx').on(t.campaignId, t.respondedOn)],
)

// Messages of support the team chose for the delivery packet (approved ones only are printed).
export const packetMessages = sqliteTable(
  'packet_messages',
  {
    campaignId: integer('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    signatureId: integer('signature_id').notNull().references(() => signatures.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.signatureId] }), index('packet_messages_signature_idx').on(t.signatureId)],
)

export const COUNT_LOG_REASONS = ['genesis', 'hourly', 'milestone', 'recount'] as const
export type CountLogReason = (typeof COUNT_LOG_REASONS)[number]

// The public count log: a hash chain, appended to and never updated or deleted (ADR 018).
export const countLogEntries = sqliteTable(
  'count_log_entries',
  {
    campaignId: integer('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
    confirmed: integer('confirmed').notNull(),
    invalidated: integer('invalidated').notNull(),
    reason: text('reason', { enum: COUNT_LOG_REASONS }).notNull(),
    // The threshold, for a 'milestone' entry.
    milestone: integer('milestone'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.seq] })],
)

// ——— Organiser authentication (issue 18; ADR 019) ———

// The authenticator app's secret, sealed (ADR 017). A row without confirmed_at is a set-up in progress.
export const organizerTotp = sqliteTable('organizer_totp', {
  organizerId: integer('organizer_id').primaryKey().references(() => organizers.id, { onDelete: 'cascade' }),
  sealed: text('sealed').notNull(),
  dataKeyId: text('data_key_id').notNull(),
  confirmedAt: integer('confirmed_at'),
  // The last accepted time step (epoch seconds / 30): a code for it or an earlier one is a replay.
  lastTimeStep: integer('last_time_step'),
  createdAt: createdAt(),
})

// Ten single-use codes, only their SHA-256 kept (80 random bits each).
export const organizerRecoveryCodes = sqliteTable(
  'organizer_recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    organizerId: integer('organizer_id').notNull().references(() => organizers.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull().unique(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('organizer_recovery_codes_organizer_idx').on(t.organizerId)],
)

export const organizerPasskeys = sqliteTable(
  'organizer_passkeys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    organizerId: integer('organizer_id').notNull().references(() => organizers.id, { onDelete: 'cascade' }),
    credentialId: text('credential_id').notNull().unique(), // base64url
    publicKey: text('public_key').notNull(), // base64url COSE key (public: not sealed)
    counter: integer('counter').notNull().default(0),
    transports: text('transports', { mode: 'json' }).$type<string[]>(),
    backedUp: integer('backed_up', { mode: 'boolean' }).notNull().default(false),
    name: text('name').notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('organizer_passkeys_organizer_idx').on(t.organizerId)],
)

// A WebAuthn challenge: single use, five minutes, found by the hash of the vigil_webauthn cookie's id.
export const webauthnChallenges = sqliteTable(
  'webauthn_challenges',
  {
    idHash: text('id_hash').primaryKey(),
    ceremony: text('ceremony', { enum: WEBAUTHN_CEREMONIES }).notNull(),
    challenge: text('challenge').notNull(),
    organizerId: integer('organizer_id').references(() => organizers.id, { onDelete: 'cascade' }),
    // register / second_factor: the session that asked (a challenge cannot move to another session).
    sessionIdHash: text('session_id_hash'),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('webauthn_challenges_expires_idx').on(t.expiresAt)],
)

// Browsers an organiser has signed in from (the vigil_device cookie's SHA-256): a new one sends an email.
export const organizerDevices = sqliteTable(
  'organizer_devices',
  {
    organizerId: integer('organizer_id').notNull().references(() => organizers.id, { onDelete: 'cascade' }),
    deviceHash: text('device_hash').notNull(),
    createdAt: createdAt(),
    lastSeenAt: integer('last_seen_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.organizerId, t.deviceHash] })],
)

export type Organization = typeof organizations.$inferSelect
export type Organizer = typeof organizers.$inferSelect
export type Campaign = typeof campaigns.$inferSelect
export type CampaignTranslation = typeof campaignTranslations.$inferSelect
export type Update = typeof updates.$inferSelect
export type UpdateTranslation = typeof updateTranslations.$inferSelect
export type AuditEntry = typeof auditLog.$inferSelect
export type Supporter = typeof supporters.$inferSelect
export type Signature = typeof signatures.$inferSelect
export type EmailMessage = typeof emailMessages.$inferSelect
export type Fund = typeof funds.$inferSelect
export type FundTranslation = typeof fundTranslations.$inferSelect
export type Donation = typeof donations.$inferSelect
export type EmailBatch = typeof emailBatches.$inferSelect
export type UpdateSend = typeof updateSends.$inferSelect
export type CampaignTarget = typeof campaignTargets.$inferSelect
export type CampaignTargetTranslation = typeof campaignTargetTranslations.$inferSelect
export type CampaignMilestone = typeof campaignMilestones.$inferSelect
export type Delivery = typeof deliveries.$inferSelect
export type TargetResponse = typeof targetResponses.$inferSelect
export type CountLogRow = typeof countLogEntries.$inferSelect
export type Session = typeof sessions.$inferSelect
export type OrganizerPasskey = typeof organizerPasskeys.$inferSelect
