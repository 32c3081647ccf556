PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_email_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`send_id` integer,
	`priority` integer DEFAULT 2 NOT NULL,
	`idempotency_key` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`size` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`claimed_at` integer,
	`last_error` text,
	`submitted_at` integer,
	FOREIGN KEY (`send_id`) REFERENCES `update_sends`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_email_batches`("id", "send_id", "priority", "idempotency_key", "status", "size", "attempts", "next_attempt_at", "claimed_at", "last_error", "submitted_at") SELECT "id", "send_id", 2, "idempotency_key", "status", "size", "attempts", "next_attempt_at", "claimed_at", "last_error", "submitted_at" FROM `email_batches`;--> statement-breakpoint
DROP TABLE `email_batches`;--> statement-breakpoint
ALTER TABLE `__new_email_batches` RENAME TO `email_batches`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `email_batches_idempotency_key_unique` ON `email_batches` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `email_batches_due_idx` ON `email_batches` (`status`,`priority`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `email_batches_send_idx` ON `email_batches` (`send_id`);--> statement-breakpoint
CREATE INDEX `email_batches_submitted_idx` ON `email_batches` (`submitted_at`);--> statement-breakpoint
DROP INDEX `email_messages_due_idx`;--> statement-breakpoint
ALTER TABLE `email_messages` ADD `priority` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_messages` ADD `batchable` integer DEFAULT true NOT NULL;--> statement-breakpoint
CREATE INDEX `email_messages_due_idx` ON `email_messages` (`status`,`priority`,`next_attempt_at`) WHERE batch_id is null;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `confirmation_reminder` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `signatures` ADD `reminded_at` integer;--> statement-breakpoint
-- Edited by hand: the copy above takes 2 (bulk) for the old batches, which had no priority (drizzle-kit copied a column the old table lacks); messages get theirs.
UPDATE `email_messages` SET `priority` = 0 WHERE `template` = 'confirm-signature' AND `batch_id` IS NULL;--> statement-breakpoint
UPDATE `email_messages` SET `priority` = 2 WHERE `batch_id` IS NOT NULL;
