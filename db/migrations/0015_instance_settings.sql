CREATE TABLE `instance_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`team_name` text,
	`logo_path` text,
	`accent_color` text,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `site_texts` (
	`kind` text NOT NULL,
	`locale` text NOT NULL,
	`body` text NOT NULL,
	`updated_by` integer,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`kind`, `locale`),
	FOREIGN KEY (`updated_by`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE set null
);
