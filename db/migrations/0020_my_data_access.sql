CREATE TABLE `my_data_access` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`supporter_id` integer NOT NULL,
	`link_hash` text NOT NULL,
	`link_expires_at` integer NOT NULL,
	`session_hash` text,
	`session_expires_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `my_data_access_link_hash_unique` ON `my_data_access` (`link_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `my_data_access_session_hash_unique` ON `my_data_access` (`session_hash`);--> statement-breakpoint
CREATE INDEX `my_data_access_supporter_idx` ON `my_data_access` (`supporter_id`);