CREATE TABLE `email_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`send_id` integer NOT NULL,
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
CREATE UNIQUE INDEX `email_batches_idempotency_key_unique` ON `email_batches` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `email_batches_due_idx` ON `email_batches` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `email_batches_send_idx` ON `email_batches` (`send_id`);--> statement-breakpoint
CREATE TABLE `resend_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `suppressions` (
	`email_normalized` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `update_sends` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`update_id` integer NOT NULL,
	`campaign_id` integer NOT NULL,
	`audience` text NOT NULL,
	`recipients` integer NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`update_id`) REFERENCES `updates`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `update_sends_update_id_unique` ON `update_sends` (`update_id`);--> statement-breakpoint
ALTER TABLE `email_messages` ADD `batch_id` integer REFERENCES email_batches(id);--> statement-breakpoint
ALTER TABLE `email_messages` ADD `supporter_id` integer REFERENCES supporters(id);--> statement-breakpoint
ALTER TABLE `email_messages` ADD `delivery_status` text;--> statement-breakpoint
ALTER TABLE `email_messages` ADD `delivery_at` integer;--> statement-breakpoint
CREATE INDEX `email_messages_batch_idx` ON `email_messages` (`batch_id`);--> statement-breakpoint
CREATE INDEX `email_messages_provider_idx` ON `email_messages` (`provider_id`);