-- Edited by hand: drizzle-kit selects the new columns from the old tables when it rebuilds them (they are NULL here),
-- and each copy takes AUTOINCREMENT's high-water mark along, so ids of rows already deleted are not given again
-- (a new signature must not inherit a deleted one's id, nor its emails' idempotency keys).
CREATE TABLE `signature_name_words` (
	`campaign_id` integer NOT NULL,
	`word_hash` text NOT NULL,
	`signature_id` integer NOT NULL,
	PRIMARY KEY(`campaign_id`, `word_hash`, `signature_id`),
	FOREIGN KEY (`signature_id`) REFERENCES `signatures`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `signature_name_words_signature_idx` ON `signature_name_words` (`signature_id`);--> statement-breakpoint
CREATE TABLE `suppressed_addresses` (
	`email_hash` text PRIMARY KEY NOT NULL,
	`sealed` text,
	`data_key_id` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_donations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`fund_id` integer NOT NULL,
	`supporter_id` integer,
	`parent_id` integer,
	`interval` text NOT NULL,
	`gift_minor` integer NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`paid_at` integer,
	`failed_at` integer,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`dispute_status` text,
	`disputed_minor` integer DEFAULT 0 NOT NULL,
	`counted_minor` integer DEFAULT 0 NOT NULL,
	`sealed` text,
	`data_key_id` text,
	`public_name` text,
	`message` text,
	`wall_status` text,
	`receipt_name` text,
	`receipt_number` integer,
	`wants_updates` integer DEFAULT false NOT NULL,
	`locale` text NOT NULL,
	`email` text,
	`stripe_checkout_session_id` text,
	`stripe_payment_intent_id` text,
	`stripe_invoice_id` text,
	`stripe_subscription_id` text,
	`stripe_customer_id` text,
	`subscription_ended_at` integer,
	`source` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`fund_id`) REFERENCES `funds`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`parent_id`) REFERENCES `donations`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_donations`("id", "campaign_id", "fund_id", "supporter_id", "parent_id", "interval", "gift_minor", "amount_minor", "currency", "status", "paid_at", "failed_at", "refunded_minor", "dispute_status", "disputed_minor", "counted_minor", "sealed", "data_key_id", "public_name", "message", "wall_status", "receipt_name", "receipt_number", "wants_updates", "locale", "email", "stripe_checkout_session_id", "stripe_payment_intent_id", "stripe_invoice_id", "stripe_subscription_id", "stripe_customer_id", "subscription_ended_at", "source", "created_at", "updated_at") SELECT "id", "campaign_id", "fund_id", "supporter_id", "parent_id", "interval", "gift_minor", "amount_minor", "currency", "status", "paid_at", "failed_at", "refunded_minor", "dispute_status", "disputed_minor", "counted_minor", NULL, NULL, "public_name", "message", "wall_status", "receipt_name", "receipt_number", "wants_updates", "locale", "email", "stripe_checkout_session_id", "stripe_payment_intent_id", "stripe_invoice_id", "stripe_subscription_id", "stripe_customer_id", "subscription_ended_at", "source", "created_at", "updated_at" FROM `donations`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_donations', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_donations');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'donations'), 0)) WHERE `name` = '__new_donations';--> statement-breakpoint
DROP TABLE `donations`;--> statement-breakpoint
ALTER TABLE `__new_donations` RENAME TO `donations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `donations_receipt_number_unique` ON `donations` (`receipt_number`);--> statement-breakpoint
CREATE UNIQUE INDEX `donations_stripe_checkout_session_id_unique` ON `donations` (`stripe_checkout_session_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `donations_stripe_payment_intent_id_unique` ON `donations` (`stripe_payment_intent_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `donations_stripe_invoice_id_unique` ON `donations` (`stripe_invoice_id`);--> statement-breakpoint
CREATE INDEX `donations_fund_paid_idx` ON `donations` (`fund_id`,`paid_at`);--> statement-breakpoint
CREATE INDEX `donations_campaign_created_idx` ON `donations` (`campaign_id`,`id`);--> statement-breakpoint
CREATE INDEX `donations_subscription_idx` ON `donations` (`stripe_subscription_id`);--> statement-breakpoint
CREATE INDEX `donations_supporter_idx` ON `donations` (`supporter_id`);--> statement-breakpoint
CREATE INDEX `donations_campaign_time_idx` ON `donations` (`campaign_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `donations_campaign_status_time_idx` ON `donations` (`campaign_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `donations_fund_time_idx` ON `donations` (`fund_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `donations_campaign_money_idx` ON `donations` (`campaign_id`,`fund_id`,`currency`,`paid_at`,`amount_minor`,`counted_minor`,`refunded_minor`,`dispute_status`,`disputed_minor`);--> statement-breakpoint
CREATE INDEX `donations_campaign_paid_idx` ON `donations` (`campaign_id`,`currency`,`paid_at`,`counted_minor`,`amount_minor`);--> statement-breakpoint
CREATE TABLE `__new_email_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`template` text NOT NULL,
	`sealed` text,
	`data_key_id` text,
	`to_email` text,
	`locale` text NOT NULL,
	`props` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`campaign_id` integer,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`claimed_at` integer,
	`provider_id` text,
	`last_error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`sent_at` integer,
	`batch_id` integer,
	`supporter_id` integer,
	`delivery_status` text,
	`delivery_at` integer,
	`priority` integer DEFAULT 1 NOT NULL,
	`batchable` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`batch_id`) REFERENCES `email_batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_email_messages`("id", "template", "sealed", "data_key_id", "to_email", "locale", "props", "idempotency_key", "campaign_id", "status", "attempts", "next_attempt_at", "claimed_at", "provider_id", "last_error", "created_at", "sent_at", "batch_id", "supporter_id", "delivery_status", "delivery_at", "priority", "batchable") SELECT "id", "template", NULL, NULL, "to_email", "locale", "props", "idempotency_key", "campaign_id", "status", "attempts", "next_attempt_at", "claimed_at", "provider_id", "last_error", "created_at", "sent_at", "batch_id", "supporter_id", "delivery_status", "delivery_at", "priority", "batchable" FROM `email_messages`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_email_messages', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_email_messages');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'email_messages'), 0)) WHERE `name` = '__new_email_messages';--> statement-breakpoint
DROP TABLE `email_messages`;--> statement-breakpoint
ALTER TABLE `__new_email_messages` RENAME TO `email_messages`;--> statement-breakpoint
CREATE UNIQUE INDEX `email_messages_idempotency_key_unique` ON `email_messages` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `email_messages_due_idx` ON `email_messages` (`status`,`priority`,`next_attempt_at`) WHERE batch_id is null;--> statement-breakpoint
CREATE INDEX `email_messages_created_idx` ON `email_messages` (`created_at`);--> statement-breakpoint
CREATE INDEX `email_messages_batch_idx` ON `email_messages` (`batch_id`);--> statement-breakpoint
CREATE INDEX `email_messages_provider_idx` ON `email_messages` (`provider_id`);--> statement-breakpoint
CREATE INDEX `email_messages_supporter_idx` ON `email_messages` (`supporter_id`) WHERE supporter_id is not null;--> statement-breakpoint
CREATE TABLE `__new_replies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`signature_id` integer NOT NULL,
	`organizer_id` integer,
	`sealed` text,
	`data_key_id` text,
	`body` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`signature_id`) REFERENCES `signatures`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_replies`("id", "signature_id", "organizer_id", "sealed", "data_key_id", "body", "created_at") SELECT "id", "signature_id", "organizer_id", NULL, NULL, "body", "created_at" FROM `replies`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_replies', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_replies');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'replies'), 0)) WHERE `name` = '__new_replies';--> statement-breakpoint
DROP TABLE `replies`;--> statement-breakpoint
ALTER TABLE `__new_replies` RENAME TO `replies`;--> statement-breakpoint
CREATE INDEX `replies_signature_idx` ON `replies` (`signature_id`);--> statement-breakpoint
CREATE TABLE `__new_signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`supporter_id` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`sealed` text,
	`data_key_id` text,
	`first_name` text,
	`last_name` text,
	`country` text NOT NULL,
	`postal_code` text,
	`locale` text NOT NULL,
	`show_name` integer DEFAULT false NOT NULL,
	`message` text,
	`message_status` text,
	`token_hash` text,
	`token_expires_at` integer,
	`confirmations_sent` integer DEFAULT 0 NOT NULL,
	`ip_hash` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`confirmed_at` integer,
	`invalidated_at` integer,
	`invalidation_reason` text,
	`anonymised_at` integer,
	`updates_requested` integer DEFAULT false NOT NULL,
	`resubmitted_sealed` text,
	`resubmitted_details` text,
	`resubmitted_token_hash` text,
	`reminded_at` integer,
	`source` text,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_signatures`("id", "campaign_id", "supporter_id", "status", "sealed", "data_key_id", "first_name", "last_name", "country", "postal_code", "locale", "show_name", "message", "message_status", "token_hash", "token_expires_at", "confirmations_sent", "ip_hash", "created_at", "confirmed_at", "invalidated_at", "invalidation_reason", "anonymised_at", "updates_requested", "resubmitted_sealed", "resubmitted_details", "resubmitted_token_hash", "reminded_at", "source") SELECT "id", "campaign_id", "supporter_id", "status", NULL, NULL, "first_name", "last_name", "country", "postal_code", "locale", "show_name", "message", "message_status", "token_hash", "token_expires_at", "confirmations_sent", "ip_hash", "created_at", "confirmed_at", "invalidated_at", "invalidation_reason", "anonymised_at", "updates_requested", NULL, "resubmitted_details", "resubmitted_token_hash", "reminded_at", "source" FROM `signatures`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_signatures', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_signatures');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'signatures'), 0)) WHERE `name` = '__new_signatures';--> statement-breakpoint
DROP TABLE `signatures`;--> statement-breakpoint
ALTER TABLE `__new_signatures` RENAME TO `signatures`;--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_token_hash_unique` ON `signatures` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_supporter_campaign_idx` ON `signatures` (`supporter_id`,`campaign_id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_status_idx` ON `signatures` (`campaign_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_confirmed_idx` ON `signatures` (`campaign_id`,`confirmed_at`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_message_idx` ON `signatures` (`campaign_id`,`message_status`,`id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_ip_idx` ON `signatures` (`campaign_id`,`ip_hash`);--> statement-breakpoint
CREATE INDEX `signatures_anonymised_linked_idx` ON `signatures` (`campaign_id`,`id`) WHERE anonymised_at is not null and supporter_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_resubmitted_token_idx` ON `signatures` (`resubmitted_token_hash`) WHERE resubmitted_token_hash is not null;--> statement-breakpoint
CREATE INDEX `signatures_campaign_source_idx` ON `signatures` (`campaign_id`,`source`) WHERE source is not null and status = 'confirmed';--> statement-breakpoint
CREATE TABLE `__new_supporters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email_hash` text,
	`email_domain_hash` text,
	`sealed` text,
	`data_key_id` text,
	`email_normalized` text,
	`email` text,
	`first_name` text,
	`last_name` text,
	`country` text NOT NULL,
	`locale` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_supporters`("id", "email_hash", "email_domain_hash", "sealed", "data_key_id", "email_normalized", "email", "first_name", "last_name", "country", "locale", "created_at", "updated_at") SELECT "id", NULL, NULL, NULL, NULL, "email_normalized", "email", "first_name", "last_name", "country", "locale", "created_at", "updated_at" FROM `supporters`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_supporters', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_supporters');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'supporters'), 0)) WHERE `name` = '__new_supporters';--> statement-breakpoint
DROP TABLE `supporters`;--> statement-breakpoint
ALTER TABLE `__new_supporters` RENAME TO `supporters`;--> statement-breakpoint
CREATE UNIQUE INDEX `supporters_email_hash_unique` ON `supporters` (`email_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `supporters_email_normalized_unique` ON `supporters` (`email_normalized`);--> statement-breakpoint
CREATE INDEX `supporters_email_domain_idx` ON `supporters` (`email_domain_hash`);