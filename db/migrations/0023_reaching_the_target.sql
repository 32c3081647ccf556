CREATE TABLE `campaign_milestone_translations` (
	`milestone_id` integer NOT NULL,
	`locale` text NOT NULL,
	`happens` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`milestone_id`, `locale`),
	FOREIGN KEY (`milestone_id`) REFERENCES `campaign_milestones`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `campaign_milestones` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`threshold` integer NOT NULL,
	`email_target` integer DEFAULT false NOT NULL,
	`reached_at` integer,
	`reached_count` integer,
	`reached_by` text,
	`draft_update_id` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`draft_update_id`) REFERENCES `updates`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_milestones_threshold_idx` ON `campaign_milestones` (`campaign_id`,`threshold`);--> statement-breakpoint
CREATE INDEX `campaign_milestones_unreached_idx` ON `campaign_milestones` (`campaign_id`,`threshold`) WHERE reached_at is null;--> statement-breakpoint
CREATE TABLE `campaign_target_translations` (
	`target_id` integer NOT NULL,
	`locale` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`role` text DEFAULT '' NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`target_id`, `locale`),
	FOREIGN KEY (`target_id`) REFERENCES `campaign_targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `campaign_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`email` text,
	`locale` text DEFAULT 'en' NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `campaign_targets_campaign_idx` ON `campaign_targets` (`campaign_id`,`position`);--> statement-breakpoint
CREATE TABLE `count_log_entries` (
	`campaign_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`confirmed` integer NOT NULL,
	`invalidated` integer NOT NULL,
	`reason` text NOT NULL,
	`milestone` integer,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`campaign_id`, `seq`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`target_id` integer,
	`recipient` text NOT NULL,
	`delivered_on` text NOT NULL,
	`method` text NOT NULL,
	`milestone_id` integer,
	`confirmed_count` integer NOT NULL,
	`count_log_seq` integer,
	`update_id` integer NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`target_id`) REFERENCES `campaign_targets`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`milestone_id`) REFERENCES `campaign_milestones`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`update_id`) REFERENCES `updates`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_update_id_unique` ON `deliveries` (`update_id`);--> statement-breakpoint
CREATE INDEX `deliveries_campaign_idx` ON `deliveries` (`campaign_id`,`delivered_on`);--> statement-breakpoint
CREATE TABLE `packet_messages` (
	`campaign_id` integer NOT NULL,
	`signature_id` integer NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`campaign_id`, `signature_id`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`signature_id`) REFERENCES `signatures`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `packet_messages_signature_idx` ON `packet_messages` (`signature_id`);--> statement-breakpoint
CREATE TABLE `target_responses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`target_id` integer,
	`responder` text NOT NULL,
	`responded_on` text NOT NULL,
	`document_path` text,
	`document_type` text,
	`update_id` integer NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`target_id`) REFERENCES `campaign_targets`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`update_id`) REFERENCES `updates`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `target_responses_update_id_unique` ON `target_responses` (`update_id`);--> statement-breakpoint
CREATE INDEX `target_responses_campaign_idx` ON `target_responses` (`campaign_id`,`responded_on`);--> statement-breakpoint
ALTER TABLE `campaign_counters` ADD `invalidated` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `updates` ADD `kind` text DEFAULT 'update' NOT NULL;