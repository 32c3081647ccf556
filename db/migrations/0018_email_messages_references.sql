PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_email_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`template` text NOT NULL,
	`to_email` text NOT NULL,
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
INSERT INTO `__new_email_messages`("id", "template", "to_email", "locale", "props", "idempotency_key", "campaign_id", "status", "attempts", "next_attempt_at", "claimed_at", "provider_id", "last_error", "created_at", "sent_at", "batch_id", "supporter_id", "delivery_status", "delivery_at", "priority", "batchable") SELECT "id", "template", "to_email", "locale", "props", "idempotency_key", "campaign_id", "status", "attempts", "next_attempt_at", "claimed_at", "provider_id", "last_error", "created_at", "sent_at", "batch_id", "supporter_id", "delivery_status", "delivery_at", "priority", "batchable" FROM `email_messages`;--> statement-breakpoint
-- Edited by hand: the copy takes AUTOINCREMENT's high-water mark along, so ids of messages already pruned are not given again.
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_email_messages', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_email_messages');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'email_messages'), 0)) WHERE `name` = '__new_email_messages';--> statement-breakpoint
DROP TABLE `email_messages`;--> statement-breakpoint
ALTER TABLE `__new_email_messages` RENAME TO `email_messages`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `email_messages_idempotency_key_unique` ON `email_messages` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `email_messages_due_idx` ON `email_messages` (`status`,`priority`,`next_attempt_at`) WHERE batch_id is null;--> statement-breakpoint
CREATE INDEX `email_messages_created_idx` ON `email_messages` (`created_at`);--> statement-breakpoint
CREATE INDEX `email_messages_batch_idx` ON `email_messages` (`batch_id`);--> statement-breakpoint
CREATE INDEX `email_messages_provider_idx` ON `email_messages` (`provider_id`);--> statement-breakpoint
CREATE INDEX `email_messages_supporter_idx` ON `email_messages` (`supporter_id`) WHERE supporter_id is not null;