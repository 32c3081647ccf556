CREATE TABLE `replies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`signature_id` integer NOT NULL,
	`organizer_id` integer,
	`body` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`signature_id`) REFERENCES `signatures`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `replies_signature_idx` ON `replies` (`signature_id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_message_idx` ON `signatures` (`campaign_id`,`message_status`,`id`);--> statement-breakpoint
CREATE INDEX `signatures_campaign_ip_idx` ON `signatures` (`campaign_id`,`ip_hash`);