CREATE TABLE `campaign_counters` (
	`campaign_id` integer PRIMARY KEY NOT NULL,
	`confirmed` integer DEFAULT 0 NOT NULL,
	`pending` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `consents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`supporter_id` integer NOT NULL,
	`purpose` text NOT NULL,
	`campaign_id` integer,
	`granted` integer NOT NULL,
	`source` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `consents_supporter_idx` ON `consents` (`supporter_id`,`purpose`,`campaign_id`,`id`);--> statement-breakpoint
CREATE TABLE `country_counters` (
	`campaign_id` integer NOT NULL,
	`country` text NOT NULL,
	`confirmed` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `country`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `email_messages` (
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
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_messages_idempotency_key_unique` ON `email_messages` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `email_messages_due_idx` ON `email_messages` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `email_messages_created_idx` ON `email_messages` (`created_at`);--> statement-breakpoint
CREATE TABLE `signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`supporter_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
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
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_token_hash_unique` ON `signatures` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_campaign_supporter_idx` ON `signatures` (`campaign_id`,`supporter_id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_status_idx` ON `signatures` (`campaign_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_confirmed_idx` ON `signatures` (`campaign_id`,`confirmed_at`);--> statement-breakpoint
CREATE TABLE `supporters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email_normalized` text NOT NULL,
	`email` text NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`country` text NOT NULL,
	`locale` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `supporters_email_normalized_unique` ON `supporters` (`email_normalized`);