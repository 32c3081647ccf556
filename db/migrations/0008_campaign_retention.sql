PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`supporter_id` integer,
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
	`anonymised_at` integer,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_signatures`("id", "campaign_id", "supporter_id", "status", "first_name", "last_name", "country", "postal_code", "locale", "show_name", "message", "message_status", "token_hash", "token_expires_at", "confirmations_sent", "ip_hash", "created_at", "confirmed_at", "invalidated_at", "invalidation_reason") SELECT "id", "campaign_id", "supporter_id", "status", "first_name", "last_name", "country", "postal_code", "locale", "show_name", "message", "message_status", "token_hash", "token_expires_at", "confirmations_sent", "ip_hash", "created_at", "confirmed_at", "invalidated_at", "invalidation_reason" FROM `signatures`;--> statement-breakpoint
DROP TABLE `signatures`;--> statement-breakpoint
ALTER TABLE `__new_signatures` RENAME TO `signatures`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_token_hash_unique` ON `signatures` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_supporter_campaign_idx` ON `signatures` (`supporter_id`,`campaign_id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_status_idx` ON `signatures` (`campaign_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_confirmed_idx` ON `signatures` (`campaign_id`,`confirmed_at`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_message_idx` ON `signatures` (`campaign_id`,`message_status`,`id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_ip_idx` ON `signatures` (`campaign_id`,`ip_hash`);--> statement-breakpoint
CREATE INDEX `signatures_anonymised_linked_idx` ON `signatures` (`campaign_id`,`id`) WHERE anonymised_at is not null and supporter_id is not null;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `retention_days` integer DEFAULT 180 NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `closed_at` integer;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `signatures_anonymised_at` integer;--> statement-breakpoint
CREATE INDEX `donations_supporter_idx` ON `donations` (`supporter_id`);--> statement-breakpoint
CREATE INDEX `email_messages_supporter_idx` ON `email_messages` (`supporter_id`) WHERE supporter_id is not null;--> statement-breakpoint
CREATE INDEX `fund_donors_supporter_idx` ON `fund_donors` (`supporter_id`);--> statement-breakpoint
-- Campaigns that already stopped collecting signatures: when is not recorded. Their period starts
-- now, at the upgrade, so nothing is anonymised before an organiser could see the notice and change it.
UPDATE `campaigns` SET `closed_at` = cast(unixepoch('subsec') * 1000 as integer) WHERE `status` <> 'live' AND `published_at` IS NOT NULL;
