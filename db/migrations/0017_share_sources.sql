CREATE TABLE `campaign_sources` (
	`campaign_id` integer NOT NULL,
	`tag` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`campaign_id`, `tag`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `campaign_translations` ADD `share_text` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `donations` ADD `source` text;--> statement-breakpoint
ALTER TABLE `signatures` ADD `source` text;--> statement-breakpoint
CREATE INDEX `signatures_campaign_source_idx` ON `signatures` (`campaign_id`,`source`) WHERE source is not null and status = 'confirmed';